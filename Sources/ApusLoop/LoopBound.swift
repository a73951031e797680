/// A value that belongs to one event loop's thread. The box may cross threads (it is
/// `Sendable`), but its value is read and written on the loop thread only (or, before the loop
/// starts, by the thread setting it up), and every access checks that
/// (`EventLoop.preconditionOwnsLoopState`): "loop thread only" made a check instead of a
/// comment on an `@unchecked Sendable` type (SwiftNIO's `NIOLoopBoundBox`).
///
/// This is the one place that vouches for such values: a type used on the loop alone stays
/// non-`Sendable`, and a closure that must be `Sendable` to reach the loop (a timer's, an
/// actor's `assumeIsolated`) carries it in a `LoopBound`.
@dynamicMemberLookup
public final class LoopBound<Value>: @unchecked Sendable {
    public let loop: EventLoop
    private var stored: Value

    /// Made on the loop thread (or before the loop starts, by the thread setting it up).
    public init(_ value: Value, on loop: EventLoop) {
        loop.preconditionOwnsLoopState()
        self.loop = loop
        stored = value
    }

    /// Made on any thread, with a value no other thread holds.
    public init(sending value: sending Value, to loop: EventLoop) {
        self.loop = loop
        stored = value
    }

    /// The value; on the loop thread only (or before the loop starts, by the thread setting it up).
    public var value: Value {
        get {
            loop.preconditionOwnsLoopState()
            return stored
        }
        // In place: a mutation through the box does not copy the value (nor its buffers).
        _modify {
            loop.preconditionOwnsLoopState()
            yield &stored
        }
    }

    /// A member of the value (`box.count += 1`), with the same check.
    public subscript<Member>(dynamicMember member: WritableKeyPath<Value, Member>) -> Member {
        get {
            loop.preconditionOwnsLoopState()
            return stored[keyPath: member]
        }
        _modify {
            loop.preconditionOwnsLoopState()
            yield &stored[keyPath: member]
        }
    }
}

/// A reference that does not keep its object alive, to put in a `LoopBound`.
public struct Weak<Object: AnyObject> {
    public weak var object: Object?

    public init(_ object: Object?) {
        self.object = object
    }
}
