//! The workspace's library crates form layered module graphs: no module depends, directly or
//! through others, on a module that depends on it (issue 15: "no import cycle between orm-core's
//! modules"; issue 24: "and the module-graph test covers orm-memory too").
//!
//! One checker, run over each crate's sources. It reads the modules from the `mod` declarations,
//! starting at `src/lib.rs` (test-only modules, `#[cfg(test)] mod ...`, are left out), and takes
//! as an edge every path into another module outside comments and test modules:
//! `crate::a::b::X` (and `$crate::`), `super::x`, `self::x`, a child module named bare (`x::Y` in
//! the module declaring `mod x`), and each path of a `{...}` group. A path names the deepest
//! module it passes through; a name re-exported at the crate root (`pub use module::{A, B}`)
//! resolves to its module. The crate root itself is the top of the graph and not a node.
//!
//! A path from a module into one of its ancestors (`super::Page` in `query::builder`) is an edge
//! only when the ancestor takes that name from another of its submodules (`pub use
//! plan::Page;` in `query`): then it is an edge to that submodule. A child using what its parent
//! itself defines, while the parent uses its children, is how a module is split into files.
//!
//! Each crate is checked at a depth: 1 folds submodules into their top module (`query::plan` is
//! `query`), `usize::MAX` keeps every module its own node (`server::ops::items`).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeSet<String>>;

/// A module's code and the submodules it declares (`mod x;`, outside test modules).
#[derive(Debug, Default)]
struct Module {
    code: String,
    children: BTreeSet<String>,
}

/// The source without `//` comments (doc comments included) and without test modules: an
/// inline `#[cfg(test)] mod name { ... }` block is cut, a `#[cfg(test)] mod name;` line is
/// dropped (and the module it declares is not read).
fn code_of(source: &str) -> String {
    let code: String = source
        .lines()
        .map(|line| match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = String::with_capacity(code.len());
    let mut rest = code.as_str();
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at + "#[cfg(test)]".len()..];
        let trimmed = after.trim_start();
        let Some(declaration) = trimmed
            .strip_prefix("pub(crate) mod ")
            .or_else(|| trimmed.strip_prefix("mod "))
        else {
            // Some other test-only item: keep it (its paths are few and harmless).
            out.push_str("#[cfg(test)]");
            rest = after;
            continue;
        };
        let end = declaration.find(['{', ';']).unwrap_or(declaration.len());
        let tail = &declaration[end..];
        rest = if let Some(block) = tail.strip_prefix('{') {
            let mut depth = 1usize;
            let close = block
                .char_indices()
                .find(|&(_, c)| {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                })
                .map_or(block.len(), |(i, _)| i + 1);
            &block[close..]
        } else {
            tail.strip_prefix(';').unwrap_or(tail)
        };
    }
    out.push_str(rest);
    out
}

fn is_identifier_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn identifier_at(s: &str) -> &str {
    let s = s.trim_start();
    let end = s.find(|c: char| !is_identifier_char(c)).unwrap_or(s.len());
    &s[..end]
}

/// The modules `code` declares: `mod x;` / `pub mod x;` / `pub(crate) mod x;` (not inline
/// `mod x { ... }` blocks, which stay part of their file's module), each with the file a
/// `#[path = "..."]` attribute on the line before gives it.
fn declared_modules(code: &str) -> BTreeMap<String, Option<String>> {
    let mut out = BTreeMap::new();
    for (i, _) in code.match_indices("mod ") {
        if code[..i].ends_with(is_identifier_char) {
            continue;
        }
        let name = identifier_at(&code[i + 4..]);
        let after = code[i + 4..].trim_start()[name.len()..].trim_start();
        if name.is_empty() || !after.starts_with(';') {
            continue;
        }
        let line_start = code[..i].rfind('\n').unwrap_or(0);
        let previous = code[..line_start].lines().last().unwrap_or("").trim();
        let file = previous
            .strip_prefix("#[path = \"")
            .and_then(|p| p.strip_suffix("\"]"))
            .map(str::to_owned);
        out.insert(name.to_owned(), file);
    }
    out
}

/// Every path `code` names from `start`: `a::b::C`, and for `a::{b::C, d}` both `a::b::C` and
/// `a::d`. `s` starts right after a path's first `::`-separated head has been consumed.
fn paths_from(prefix: Vec<String>, s: &str, out: &mut Vec<Vec<String>>) {
    let mut path = prefix;
    let mut rest = s;
    loop {
        let r = rest.trim_start();
        if let Some(group) = r.strip_prefix('{') {
            // Each entry of the group, up to its closing brace.
            let mut depth = 0usize;
            let mut entry_start = 0;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        paths_from(path.clone(), &group[entry_start..i], out);
                        return;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        paths_from(path.clone(), &group[entry_start..i], out);
                        entry_start = i + 1;
                    }
                    _ => {}
                }
            }
            return;
        }
        let name = identifier_at(r);
        if name.is_empty() {
            break;
        }
        path.push(name.to_owned());
        let after = r.trim_start()[name.len()..].trim_start();
        match after.strip_prefix("::") {
            Some(next) => rest = next,
            None => break,
        }
    }
    out.push(path);
}

/// The paths (from the crate root) that the code of module `module` names, with `children` its
/// declared submodules.
fn references(module: &[String], children: &BTreeSet<String>, code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < code.len() {
        let rest = &code[i..];
        let c = rest.chars().next().expect("in bounds");
        let starts_word = !code[..i].ends_with(is_identifier_char) && !code[..i].ends_with("::");
        if !(starts_word && (is_identifier_char(c))) {
            i += c.len_utf8();
            continue;
        }
        let head = identifier_at(rest);
        let after = &rest[head.len()..];
        i += head.len();
        let Some(tail) = after.strip_prefix("::") else {
            continue;
        };
        let mut base: Vec<String> = match head {
            "crate" => Vec::new(),
            "self" => module.to_vec(),
            "super" => module[..module.len().saturating_sub(1)].to_vec(),
            child if children.contains(child) => {
                let mut p = module.to_vec();
                p.push(child.to_owned());
                p
            }
            _ => continue,
        };
        // `super::super::x`
        let mut tail = tail;
        while let Some(next) = tail.trim_start().strip_prefix("super::") {
            base.pop();
            tail = next;
        }
        paths_from(base, tail, &mut out);
    }
    out
}

/// Root re-exports (`pub use module::{A, B};`, `pub use crate::module::A;`) as name -> module.
fn root_aliases(lib: &str) -> BTreeMap<String, String> {
    let mut aliases = BTreeMap::new();
    for statement in lib.split(';') {
        let Some(rest) = statement.trim().strip_prefix("pub use ") else {
            continue;
        };
        let rest = rest.strip_prefix("crate::").unwrap_or(rest);
        let module = identifier_at(rest);
        let names = &rest[module.len()..];
        for name in names.split(|c: char| !is_identifier_char(c)) {
            if !name.is_empty() {
                aliases.insert(name.to_owned(), module.to_owned());
            }
        }
    }
    aliases
}

/// The names a module takes from its own submodules (`pub use plan::{Plan, Planner};`,
/// `use self::kind::QueryKind;`), as name -> submodule; `children` are its submodules.
fn child_aliases(code: &str, children: &BTreeSet<String>) -> BTreeMap<String, String> {
    let mut aliases = BTreeMap::new();
    const USES: [&str; 4] = ["pub use ", "pub(crate) use ", "pub(super) use ", "use "];
    for statement in code.split(';') {
        // The statement from its `use` line on (attributes and items before it left out).
        let lines: Vec<&str> = statement.lines().map(str::trim).collect();
        let Some(start) = lines
            .iter()
            .position(|l| USES.iter().any(|u| l.starts_with(u)))
        else {
            continue;
        };
        let statement = lines[start..].join(" ");
        let Some(rest) = USES.iter().find_map(|u| statement.strip_prefix(u)) else {
            continue;
        };
        let rest = rest.strip_prefix("self::").unwrap_or(rest);
        let child = identifier_at(rest);
        if !children.contains(child) {
            continue;
        }
        for name in rest[child.len()..].split(|c: char| !is_identifier_char(c)) {
            if !name.is_empty() {
                aliases.insert(name.to_owned(), child.to_owned());
            }
        }
    }
    aliases
}

/// The file of module `path` (`src/a/b.rs` or `src/a/b/mod.rs`).
fn file_of(src: &Path, path: &[String]) -> PathBuf {
    let joined: PathBuf = path.iter().collect();
    let flat = src.join(&joined).with_extension("rs");
    if flat.is_file() {
        flat
    } else {
        src.join(&joined).join("mod.rs")
    }
}

/// Every module of the crate whose sources are in `src`, by path, the root (`[]`) included.
fn read_modules(src: &Path) -> BTreeMap<Vec<String>, Module> {
    let mut modules = BTreeMap::new();
    let mut queue = vec![(Vec::<String>::new(), src.join("lib.rs"))];
    while let Some((path, file)) = queue.pop() {
        let text = fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("read {} (module {path:?}): {e}", file.display()));
        let code = code_of(&text);
        let declared = declared_modules(&code);
        for (child, at) in &declared {
            let mut child_path = path.clone();
            child_path.push(child.clone());
            let child_file = match at {
                Some(at) => file.parent().expect("a file's folder").join(at),
                None => file_of(src, &child_path),
            };
            queue.push((child_path, child_file));
        }
        let children = declared.keys().cloned().collect();
        modules.insert(path, Module { code, children });
    }
    modules
}

/// The module graph of the crate whose sources are in `src`, each module path cut to `depth`
/// segments.
fn module_graph(src: &Path, depth: usize) -> Graph {
    let modules = read_modules(src);
    let aliases = root_aliases(&modules[&Vec::new()].code);
    let taken_from_children: BTreeMap<&Vec<String>, BTreeMap<String, String>> = modules
        .iter()
        .map(|(path, m)| (path, child_aliases(&m.code, &m.children)))
        .collect();
    let name = |path: &[String]| path[..path.len().min(depth)].join("::");
    let mut graph = Graph::new();
    for (path, module) in &modules {
        if path.is_empty() {
            continue;
        }
        let from = name(path);
        let deps = graph.entry(from.clone()).or_default();
        for reference in references(path, &module.children, &module.code) {
            // The deepest module the path passes through.
            let mut target = reference.clone();
            while !target.is_empty() && !modules.contains_key(&target) {
                target.pop();
            }
            if target.is_empty() {
                // A root item: its module when the root re-exports it.
                match reference.first().and_then(|n| aliases.get(n)) {
                    Some(module) => target = vec![module.clone()],
                    None => continue,
                }
            } else if target.len() < path.len() && path.starts_with(&target) {
                // An ancestor: an edge only to the submodule it takes the name from.
                let from_child = reference
                    .get(target.len())
                    .and_then(|n| taken_from_children[&target].get(n));
                match from_child {
                    Some(child) => target.push(child.clone()),
                    None => continue,
                }
            }
            let to = name(&target);
            if to != from {
                deps.insert(to);
            }
        }
    }
    graph
}

/// A cycle through `start`, if there is one: the modules along it, `start` first and last.
fn cycle_through(graph: &Graph, start: &str) -> Option<Vec<String>> {
    fn walk(
        graph: &Graph,
        start: &str,
        at: &str,
        path: &mut Vec<String>,
        seen: &mut BTreeSet<String>,
    ) -> bool {
        for next in graph.get(at).into_iter().flatten() {
            if next == start {
                path.push(next.clone());
                return true;
            }
            if seen.insert(next.clone()) {
                path.push(next.clone());
                if walk(graph, start, next, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    let mut path = vec![start.to_owned()];
    walk(graph, start, start, &mut path, &mut BTreeSet::new()).then_some(path)
}

/// Checks the crate at `crate_dir` (relative to the workspace) at `depth`: it has at least
/// `min_modules` modules and edges (the graph was read), and no cycle.
fn check_crate(crate_dir: &str, depth: usize, min_modules: usize) -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(crate_dir)
        .join("src");
    let graph = module_graph(&src, depth);
    assert!(
        graph.len() >= min_modules && graph.values().any(|deps| !deps.is_empty()),
        "the module graph of {crate_dir} was not read: {graph:?}"
    );
    let cycles: BTreeSet<String> = graph
        .keys()
        .filter_map(|m| cycle_through(&graph, m))
        .map(|c| c.join(" -> "))
        .collect();
    assert!(
        cycles.is_empty(),
        "import cycles between {crate_dir}'s modules:\n{}",
        cycles.into_iter().collect::<Vec<_>>().join("\n")
    );
    graph
}

/// Asserts that `graph` holds every `(module, dep)` edge of `edges`.
fn assert_edges(graph: &Graph, edges: &[(&str, &str)]) {
    for (module, dep) in edges {
        assert!(
            graph.get(*module).is_some_and(|deps| deps.contains(*dep)),
            "{module} -> {dep} is not in the graph: {graph:?}"
        );
    }
}

#[test]
fn orm_core_modules_have_no_import_cycle() {
    let graph = check_crate("orm-core", usize::MAX, 10);
    // Submodules are nodes of their own: the files of one module are seen (`query::builder`
    // and `query::plan` used each other until both took the kinds of read from `query::kind`).
    assert_edges(
        &graph,
        &[
            ("query::builder", "query::kind"),
            ("query::plan", "query::kind"),
        ],
    );
}

#[test]
fn orm_memory_modules_have_no_import_cycle() {
    let graph = check_crate("orm-memory", usize::MAX, 15);
    // Submodules are nodes of their own: the server's layers are seen.
    assert_edges(
        &graph,
        &[
            ("server::error", "server::json"),
            ("server::ops::items", "server::ops::request"),
            ("server::ops", "server::ops::items"),
        ],
    );
}

#[test]
fn the_graph_reader_sees_paths_groups_aliases_and_cycles() {
    let code = code_of(
        "use crate::{a::{X, b::Y}, c};\n// crate::z\nuse super::d::E;\nuse child::F;\n\
         fn f() { crate::Item::new(); self::g::h(); $crate::m::N; }\n\
         #[cfg(test)]\nmod tests { use crate::t; }\n#[cfg(test)]\nmod more;\nfn after() { crate::k::L; }",
    );
    assert!(
        !code.contains("crate::t") && code.contains("crate::k"),
        "{code}"
    );
    let module = vec!["p".to_owned(), "q".to_owned()];
    let children = BTreeSet::from(["child".to_owned()]);
    let mut refs: Vec<String> = references(&module, &children, &code)
        .into_iter()
        .map(|p| p.join("::"))
        .collect();
    refs.sort();
    assert_eq!(
        refs,
        [
            "Item::new",
            "a::X",
            "a::b::Y",
            "c",
            "k::L",
            "m::N",
            "p::d::E",
            "p::q::child::F",
            "p::q::g::h"
        ]
    );
    assert_eq!(
        declared_modules(
            "mod a;\npub mod b;\n#[path = \"x.rs\"]\npub(crate) mod c;\nmod inline { }\nfn mod_x() {}"
        ),
        BTreeMap::from([
            ("a".to_owned(), None),
            ("b".to_owned(), None),
            ("c".to_owned(), Some("x.rs".to_owned()))
        ])
    );
    let children = BTreeSet::from(["plan".to_owned(), "kind".to_owned()]);
    let taken = child_aliases(
        "mod kind;\nmod plan;\npub use plan::{\n    Page,\n    Plan,\n};\n#[doc(hidden)]\nuse self::kind::Kind;\nuse other::Z;",
        &children,
    );
    assert_eq!(
        taken.into_iter().collect::<Vec<_>>(),
        [("Kind", "kind"), ("Page", "plan"), ("Plan", "plan")]
            .map(|(n, m)| (n.to_owned(), m.to_owned()))
    );
    let aliases = root_aliases("pub use value::{Item, Value};\npub use crate::key::Key;");
    assert_eq!(aliases["Item"], "value");
    assert_eq!(aliases["Key"], "key");
    let graph: Graph = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec!["a"]),
    ]
    .into_iter()
    .map(|(m, deps)| (m.to_owned(), deps.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(cycle_through(&graph, "a").unwrap(), ["a", "b", "c", "a"]);
    assert_eq!(cycle_through(&graph, "d"), None);
}
