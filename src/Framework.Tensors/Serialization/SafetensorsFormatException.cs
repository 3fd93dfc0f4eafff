namespace AlignFx.Tensors.Serialization;

/// <summary>What is wrong with a file that is not valid safetensors.</summary>
public enum SafetensorsFormatError
{
    /// <summary>The file ends before the 8-byte header length, the header, or the data it declares.</summary>
    Truncated,
    /// <summary>The declared header length exceeds <see cref="SafetensorsFile.MaxHeaderBytes"/>.</summary>
    HeaderTooLarge,
    /// <summary>The header bytes are not valid UTF-8.</summary>
    InvalidUtf8,
    /// <summary>The header is not syntactically valid JSON.</summary>
    InvalidJson,
    /// <summary>The header is valid JSON but not the expected structure (wrong types, missing or unexpected fields, bad <c>__metadata__</c>).</summary>
    InvalidHeader,
    /// <summary>Two entries of the header have the same name.</summary>
    DuplicateName,
    /// <summary>A tensor's dtype is not a known safetensors dtype.</summary>
    UnknownDtype,
    /// <summary>A shape has a negative or non-integer dimension, or its element count overflows.</summary>
    InvalidShape,
    /// <summary>The data offsets are malformed, overlap, or leave a hole in the data buffer.</summary>
    InvalidOffsets,
    /// <summary>A tensor's byte range does not match its dtype size times its element count.</summary>
    SizeMismatch,
    /// <summary>The file has bytes after the end of the last tensor.</summary>
    TrailingData,
}

/// <summary>A file or stream is not a valid safetensors file; <see cref="Error"/> says why.</summary>
public sealed class SafetensorsFormatException : Exception
{
    /// <summary>Creates the exception for one specific defect.</summary>
    public SafetensorsFormatException(SafetensorsFormatError error, string message, Exception? innerException = null)
        : base($"Invalid safetensors file: {message}", innerException)
    {
        Error = error;
    }

    /// <summary>The kind of defect found (the first one found when a file has several).</summary>
    public SafetensorsFormatError Error { get; }
}
