import ActorRuntime

/// The entry point CPython looks for when it loads `_apus.cpython-311-*.so`.
@_cdecl("PyInit__apus")
public func PyInit__apus() -> OpaquePointer? {
    ApusNativeModule.initialize()
}
