fn main() {
    // On windows-gnu napi-build links MSYS2's libnode.dll, which a Windows Node.js does not have;
    // this crate looks Node-API up in node.exe at run time instead (napi's `dyn-symbols`, enabled
    // for Windows in Cargo.toml), so there is nothing to link.
    let windows_gnu = std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("windows")
        && std::env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("gnu");
    if !windows_gnu {
        napi_build::setup();
    }
}
