@testable import ActorRuntime
import CPython
import Testing

extension PythonTests {
    /// Python references released by Swift: at once where the thread holds the GIL, else at the
    /// next thread to attach. No sockets; the interpreter is the system's, started once.
    @Suite(.serialized) struct ReferenceCountingTests {
        init() throws {
            try #require(TestInterpreter.started)
        }

        private func newObject() throws -> PyObjectRef {
            try Python.withGIL { gil in try gil.str("held by Swift only").share() }
        }

        @Test func aReferenceDroppedInsideAScopeIsReleasedAtOnce() throws {
            var reference: PyObjectRef? = try newObject()
            Python.withGIL { _ in
                let before = PendingDecrefs.count
                reference = nil
                #expect(PendingDecrefs.count == before)
            }
            #expect(reference == nil)
        }

        @Test func aReferenceDroppedWithoutTheGILWaitsForTheNextScope() throws {
            Python.withGIL { _ in }  // drains what earlier tests left
            var reference: PyObjectRef? = try newObject()
            reference = nil
            #expect(reference == nil && PendingDecrefs.count == 1)
            Python.withGIL { _ in }
            #expect(PendingDecrefs.count == 0)
        }

        /// Once a subinterpreter exists, `PyGILState_Check` says "held" on every thread: the
        /// runtime must not believe it.
        @Test func aSubinterpreterDoesNotMakeEveryThreadLookLikeItHoldsTheGIL() throws {
            Python.withGIL { _ in
                let main = PyThreadState_Get()
                if let subinterpreter = Py_NewInterpreter() {
                    Py_EndInterpreter(subinterpreter)
                }
                PyThreadState_Swap(main)
            }
            #expect(PyGILState_Check() != 0)  // CPython's own check no longer tells
            var reference: PyObjectRef? = try newObject()
            reference = nil
            #expect(reference == nil && PendingDecrefs.count == 1)
            Python.withGIL { _ in }
            #expect(PendingDecrefs.count == 0)
        }
    }
}
