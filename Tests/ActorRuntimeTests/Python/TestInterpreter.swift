@testable import ActorRuntime
import Testing

/// The system's interpreter, started once for every suite that needs Python (suites run in
/// parallel; a static's initializer runs exactly once).
enum TestInterpreter {
    static let started: Bool = {
        if !PythonInterpreter.isRunning {
            try? PythonInterpreter.start(PythonEnvironment(executable: "/usr/bin/python3.11", leadingPaths: []), arguments: CommandLine.arguments)
        }
        return PythonInterpreter.isRunning
    }()
}

/// The suites that use the interpreter, one after another: a suite's threads attaching to
/// Python drain the references another suite counts.
@Suite(.serialized) enum PythonTests {}
