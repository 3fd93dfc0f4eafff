namespace AlignFx.Tensors.Kernels;

/// <summary>
/// Per-thread scratch memory for packed GEMM panels: one pinned array, 64-byte aligned, grown on
/// demand and kept for the thread's lifetime, so steady-state calls allocate nothing.
/// </summary>
internal sealed unsafe class GemmWorkspace
{
    private const int Alignment = 64;

    [ThreadStatic]
    private static GemmWorkspace? t_current;

    private byte[]? _storage;
    private byte* _aligned;
    private nint _capacity;

    /// <summary>The calling thread's workspace.</summary>
    public static GemmWorkspace Current => t_current ??= new GemmWorkspace();

    /// <summary>Rounds a byte count up to the workspace alignment so consecutive regions stay aligned.</summary>
    public static nint AlignUp(nint bytes) => (bytes + (Alignment - 1)) & ~(nint)(Alignment - 1);

    /// <summary>
    /// Returns at least <paramref name="bytes"/> bytes of 64-byte-aligned scratch. The memory stays
    /// valid until the next call on this thread that asks for more.
    /// </summary>
    public byte* Rent(nint bytes)
    {
        if (bytes > _capacity)
        {
            // Grow geometrically so a sequence of slightly larger shapes does not reallocate each time.
            nint size = Math.Max(bytes, _capacity + _capacity / 2);
            _storage = GC.AllocateUninitializedArray<byte>(checked((int)(size + Alignment)), pinned: true);
            fixed (byte* p = _storage)
            {
                // Pinned-heap arrays never move, so the address stays valid after the fixed block.
                _aligned = (byte*)(((nint)p + (Alignment - 1)) & ~(nint)(Alignment - 1));
            }

            _capacity = size;
        }

        return _aligned;
    }
}
