/// The names of one inode, as indices into a scan's `files`: the first kept inline, the others
/// (hard links, which few files have) in an array that costs no allocation while empty.
///
/// A million candidates cost 16 MB here instead of a million small arrays (about 64 bytes each
/// with the allocator's overhead).
public struct NameList: RandomAccessCollection, MutableCollection, Hashable, Sendable, ExpressibleByArrayLiteral {
    /// The first name, or -1 when the list is empty.
    private var firstName: Int32
    private var others: [Int32]

    /// Creates a list of `names`, in order.
    public init<S: Sequence<Int32>>(_ names: S) {
        var iterator = names.makeIterator()
        firstName = iterator.next() ?? -1
        others = firstName < 0 ? [] : Array(IteratorSequence(iterator))
    }

    /// Creates a list of one name.
    public init(_ name: Int32) {
        firstName = name
        others = []
    }

    /// Creates a list of `elements`, in order.
    public init(arrayLiteral elements: Int32...) {
        self.init(elements)
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { firstName < 0 ? 0 : 1 + others.count }

    public subscript(position: Int) -> Int32 {
        get { position == 0 ? firstName : others[position - 1] }
        set {
            if position == 0 { firstName = newValue } else { others[position - 1] = newValue }
        }
    }

    /// Adds a name at the end.
    public mutating func append(_ name: Int32) {
        if firstName < 0 { firstName = name } else { others.append(name) }
    }
}
