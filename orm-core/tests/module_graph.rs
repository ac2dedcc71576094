//! orm-core's modules form a layered graph: no module depends, directly or through others, on
//! a module that depends on it (issue 15: "no import cycle between orm-core's modules").
//!
//! The graph is read from the sources: every `crate::<module>` path (including the first names of
//! `crate::{a, b::c}` groups, and names re-exported at the crate root, which resolve to their
//! module) outside comments and `#[cfg(test)]` unit-test modules is an edge.
//!
//! The files of one module (`query/builder.rs`, `query/plan.rs`...) form a graph of their own,
//! checked the same way: an edge for every `super::<sibling>` or `crate::<module>::<sibling>`
//! path and every name the parent takes from a sibling (issue 24: "no cycle between
//! `query/builder` and `query/plan`").

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

type Graph = BTreeMap<String, BTreeSet<String>>;

/// The source without `//` comments (doc comments included) and without a trailing
/// `#[cfg(test)] mod tests` block.
fn code_of(source: &str) -> String {
    let source = match source.find("#[cfg(test)]\nmod tests") {
        Some(i) => &source[..i],
        None => source,
    };
    source
        .lines()
        .map(|line| match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn identifier_at(s: &str) -> &str {
    let s = s.trim_start();
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The first names of the top-level entries of a `{...}` group (`s` starts after the `{`).
fn group_heads(s: &str) -> Vec<&str> {
    let mut heads = vec![identifier_at(s)];
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => heads.push(identifier_at(&s[i + 1..])),
            _ => {}
        }
    }
    heads.into_iter().filter(|h| !h.is_empty()).collect()
}

/// Every module or root item named after `crate::` in `code`.
fn references(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            out.extend(group_heads(group).into_iter().map(str::to_owned));
        } else {
            out.insert(identifier_at(rest).to_owned());
        }
    }
    out
}

/// Root re-exports (`pub use module::{A, B};`) as name -> module.
fn root_aliases(lib: &str) -> BTreeMap<String, String> {
    let mut aliases = BTreeMap::new();
    for statement in code_of(lib).split(';') {
        let Some(rest) = statement.trim().strip_prefix("pub use ") else {
            continue;
        };
        let module = identifier_at(rest);
        let names = &rest[module.len()..];
        for name in names.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
            if !name.is_empty() {
                aliases.insert(name.to_owned(), module.to_owned());
            }
        }
    }
    aliases
}

fn collect(dir: &Path, top: Option<&str>, sources: &mut BTreeMap<String, String>) {
    for entry in fs::read_dir(dir).expect("read orm-core/src") {
        let path = entry.expect("directory entry").path();
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let module = top.map(str::to_owned).unwrap_or_else(|| stem.clone());
        if path.is_dir() {
            collect(&path, Some(&module), sources);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = fs::read_to_string(&path).expect("read a source file");
            sources.entry(module).or_default().push_str(&code_of(&text));
        }
    }
}

fn module_graph() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut sources = BTreeMap::new();
    collect(&src, None, &mut sources);
    let lib = sources.remove("lib").expect("src/lib.rs");
    let aliases = root_aliases(&lib);
    let modules: BTreeSet<String> = sources.keys().cloned().collect();
    sources
        .iter()
        .map(|(module, code)| {
            let deps = references(code)
                .into_iter()
                .map(|name| aliases.get(&name).cloned().unwrap_or(name))
                .filter(|dep| dep != module && modules.contains(dep))
                .collect();
            (module.clone(), deps)
        })
        .collect()
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
        for next in &graph[at] {
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

/// The names a parent module re-exports or imports from its child modules (`pub use
/// plan::{Plan, Planner};`, `use de::De;`), as name -> child.
fn child_aliases(parent: &str, children: &BTreeSet<String>) -> BTreeMap<String, String> {
    let mut aliases = BTreeMap::new();
    for statement in code_of(parent).split(';') {
        let statement = statement.trim();
        let Some(rest) = ["pub use ", "pub(crate) use ", "pub(super) use ", "use "]
            .iter()
            .find_map(|p| statement.strip_prefix(p))
        else {
            continue;
        };
        let rest = rest.strip_prefix("self::").unwrap_or(rest);
        let child = identifier_at(rest);
        if !children.contains(child) {
            continue;
        }
        for name in rest[child.len()..].split(|c: char| !(c.is_alphanumeric() || c == '_')) {
            if !name.is_empty() {
                aliases.insert(name.to_owned(), child.to_owned());
            }
        }
    }
    aliases
}

/// The first names after each `prefix` in `code` (`super::` or `crate::query::`), with the
/// heads of `{...}` groups.
fn names_after<'c>(code: &'c str, prefix: &str) -> Vec<&'c str> {
    let mut out = Vec::new();
    for (i, _) in code.match_indices(prefix) {
        let rest = &code[i + prefix.len()..];
        match rest.strip_prefix('{') {
            Some(group) => out.extend(group_heads(group)),
            None => out.push(identifier_at(rest)),
        }
    }
    out.into_iter().filter(|n| !n.is_empty()).collect()
}

/// The graph between the child modules of the directory module `dir` (`query/builder.rs`,
/// `query/plan.rs`...): an edge for every `super::<sibling>` or `crate::<dir>::<sibling>` path,
/// and for every name the parent takes from a sibling (`super::Page` where the parent has
/// `pub use builder::Page`). Edges to the parent itself are left out: a child using what its
/// parent defines, while the parent uses its children, is how a module is split into files.
fn sibling_graph(parent: &str, children: &BTreeMap<String, String>, crate_prefix: &str) -> Graph {
    let names: BTreeSet<String> = children.keys().cloned().collect();
    let aliases = child_aliases(parent, &names);
    children
        .iter()
        .map(|(child, source)| {
            let code = code_of(source);
            let deps = names_after(&code, "super::")
                .into_iter()
                .chain(names_after(&code, crate_prefix))
                .filter_map(|name| {
                    if names.contains(name) {
                        Some(name.to_owned())
                    } else {
                        aliases.get(name).cloned()
                    }
                })
                .filter(|dep| dep != child)
                .collect();
            (child.clone(), deps)
        })
        .collect()
}

/// Every directory module of orm-core's `src` (`query`, `backend`...): its parent source
/// (`query/mod.rs` or `serde_bridge.rs`) and its children's sources by name.
fn directory_modules() -> BTreeMap<String, (String, BTreeMap<String, String>)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeMap::new();
    for entry in fs::read_dir(&src).expect("read orm-core/src") {
        let dir = entry.expect("directory entry").path();
        if !dir.is_dir() {
            continue;
        }
        let module = dir.file_name().unwrap().to_string_lossy().into_owned();
        let parent = fs::read_to_string(dir.join("mod.rs"))
            .or_else(|_| fs::read_to_string(src.join(format!("{module}.rs"))))
            .expect("the parent of a directory module");
        let mut children = BTreeMap::new();
        for file in fs::read_dir(&dir).expect("read a module directory") {
            let path = file.expect("directory entry").path();
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            if path.extension().is_some_and(|e| e == "rs") && stem != "mod" {
                children.insert(stem, fs::read_to_string(&path).expect("read a source file"));
            }
        }
        out.insert(module, (parent, children));
    }
    out
}

#[test]
fn orm_core_modules_have_no_import_cycle() {
    let graph = module_graph();
    assert!(
        graph.len() > 10 && graph.values().any(|deps| !deps.is_empty()),
        "the module graph was not read: {graph:?}"
    );
    let cycles: Vec<String> = graph
        .keys()
        .filter_map(|m| cycle_through(&graph, m))
        .map(|c| c.join(" -> "))
        .collect();
    assert!(
        cycles.is_empty(),
        "import cycles between orm-core's modules:\n{}",
        cycles.join("\n")
    );
}

#[test]
fn submodules_of_a_module_have_no_import_cycle() {
    let modules = directory_modules();
    assert!(
        modules.contains_key("query") && modules["query"].1.contains_key("builder"),
        "the directory modules were not read: {:?}",
        modules.keys().collect::<Vec<_>>()
    );
    let mut cycles = Vec::new();
    for (module, (parent, children)) in &modules {
        let graph = sibling_graph(parent, children, &format!("crate::{module}::"));
        cycles.extend(
            graph
                .keys()
                .filter_map(|m| cycle_through(&graph, m))
                .map(|c| format!("{module}: {}", c.join(" -> "))),
        );
    }
    assert!(
        cycles.is_empty(),
        "import cycles between the files of one module:\n{}",
        cycles.join("\n")
    );
}

#[test]
fn the_sibling_reader_sees_paths_groups_and_the_parents_aliases() {
    let parent = "mod a;\nmod b;\nmod c;\npub use b::{Page, Plan};\nuse c::Kind;\npub struct Own;";
    let children: BTreeMap<String, String> = [
        ("a", "use super::{Page, Own};\nfn f() { crate::m::c::g(); }"),
        (
            "b",
            "use super::Kind;\n// super::a::X\nfn g() { super::Own; }",
        ),
        ("c", "use super::b::Plan;"),
    ]
    .into_iter()
    .map(|(n, s)| (n.to_owned(), s.to_owned()))
    .collect();
    let graph = sibling_graph(parent, &children, "crate::m::");
    let deps = |m: &str| graph[m].iter().cloned().collect::<Vec<_>>();
    assert_eq!(deps("a"), ["b", "c"]);
    assert_eq!(deps("b"), ["c"]);
    assert_eq!(deps("c"), ["b"]);
    assert_eq!(cycle_through(&graph, "b").unwrap(), ["b", "c", "b"]);
    assert_eq!(cycle_through(&graph, "a"), None);
}

#[test]
fn the_graph_reader_sees_groups_aliases_and_cycles() {
    let code = code_of("use crate::{a::{X, Y}, b};\n// crate::c\nfn f() { crate::Item::new(); }\n#[cfg(test)]\nmod tests { use crate::d; }");
    let refs = references(&code);
    assert_eq!(refs, ["Item", "a", "b"].map(String::from).into());
    let aliases = root_aliases("pub use value::{Item, Value};\npub use key::Key;");
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
