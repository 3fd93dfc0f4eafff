using System.Text;

namespace AlignFx.Tensors.Tests.Serialization;

/// <summary>Builds safetensors byte images by hand, straight from the format description, without the code under test.</summary>
internal static class SafetensorsTestBytes
{
    /// <summary>8-byte little-endian length, the header padded with spaces to <paramref name="padTo"/>, then the data.</summary>
    public static byte[] Build(string headerJson, byte[] data, int padTo = 8, ulong? declaredLength = null)
    {
        var header = new List<byte>(Encoding.UTF8.GetBytes(headerJson));
        while (header.Count % padTo != 0)
        {
            header.Add((byte)' ');
        }
        return [.. LittleEndian(declaredLength ?? (ulong)header.Count), .. header, .. data];
    }

    /// <summary>The 8 little-endian bytes of <paramref name="value"/>, by shifting (independent of BinaryPrimitives).</summary>
    public static byte[] LittleEndian(ulong value)
    {
        var bytes = new byte[8];
        for (int i = 0; i < 8; i++)
        {
            bytes[i] = (byte)(value >> (8 * i));
        }
        return bytes;
    }

    public static MemoryStream Seekable(byte[] bytes) => new(bytes, writable: false);
}

/// <summary>A read-only stream that cannot seek or report its length, like a pipe or a network stream.</summary>
internal sealed class NonSeekableStream(byte[] bytes) : Stream
{
    private readonly MemoryStream _inner = new(bytes, writable: false);

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    // Return at most 7 bytes per call so the reader's "read exactly" loops are exercised.
    public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 7));

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
