//! MemoryServer over real HTTP, in one test binary (`cargo test -p orm-memory --features server
//! --test orm-memory-tests`): each file here is a module of it, so a test build compiles and
//! links them once, not once per file (docs/reliability.md, "CI time"). `raw_http` is their
//! HTTP/1.1 client.

mod raw_http;

mod server;
mod server_capacity;
mod server_encodings;
mod server_limits;
mod server_signature;
mod server_ui;
