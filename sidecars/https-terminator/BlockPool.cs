using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Connections;
using Sidecars.Hosting;

namespace Sidecars.HttpsTerminator;

/// <summary>
/// Kestrel's buffers: 4 KiB pinned blocks, reused as in Kestrel's own pool, but all given up once the process is
/// idle. Kestrel's pool evicts a small share every ten seconds, so after 320 concurrent 100 KiB downloads it still
/// held 24 MB of blocks minutes later. All of them, not all but a reserve: blocks are pinned, so a few kept ones
/// scattered over the pinned heap would keep every region they sit in committed.
/// </summary>
internal sealed class BlockPool : MemoryPool<byte>, IMemoryPoolFactory<byte>, IIdleMemoryOwner
{
    public const int BlockSize = 4096;

    private readonly ConcurrentQueue<Block> _free = new();

    // Counted here, not by _free.Count: on a queue of several segments that preserves dequeued slots for observation.
    private int _count;

    public override int MaxBufferSize => BlockSize;

    /// <summary>Blocks in the pool, free for reuse.</summary>
    public int Free => Volatile.Read(ref _count);

    /// <summary>Every Kestrel transport and connection shares this one pool: blocks move freely between listeners.</summary>
    public MemoryPool<byte> Create(MemoryPoolOptions? options = null) => this;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, BlockSize);
        if (_free.TryDequeue(out var block))
        {
            Interlocked.Decrement(ref _count);
            return block;
        }

        return new Block(this);
    }

    public void ReleaseIdleMemory()
    {
        while (_free.TryDequeue(out _))
        {
            // Dropped: the trim's collection frees the pinned array.
            Interlocked.Decrement(ref _count);
        }
    }

    /// <summary>Kestrel disposes the pools it created when it stops; this one is shared, so it stays usable.</summary>
    protected override void Dispose(bool disposing)
    {
    }

    private sealed class Block : IMemoryOwner<byte>
    {
        private readonly BlockPool _pool;

        public Block(BlockPool pool)
        {
            _pool = pool;
            // Pinned (POH): the socket transport pins every block for its I/O, and pinned arrays do not fragment the heap.
            Memory = MemoryMarshal.CreateFromPinnedArray(GC.AllocateUninitializedArray<byte>(BlockSize, pinned: true), 0, BlockSize);
        }

        public Memory<byte> Memory { get; }

        public void Dispose()
        {
            _pool._free.Enqueue(this);
            Interlocked.Increment(ref _pool._count);
        }
    }
}
