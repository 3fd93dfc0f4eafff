namespace AlignFx.Host.Manifests;

/// <summary>One problem in a manifest: where it is (a JSON path such as <c>$.stages[2].steps</c>) and what is wrong.</summary>
/// <param name="Path">The JSON path of the offending value, or of the object that lacks a field.</param>
/// <param name="Message">A plain sentence, starting in lower case, without a trailing full stop.</param>
public sealed record ManifestError(string Path, string Message)
{
    /// <summary>Byte offset in the manifest file used to list errors in reading order (not part of the text).</summary>
    internal long Position { get; init; }

    /// <summary>The error as printed: <c>&lt;path&gt;: &lt;message&gt;</c>.</summary>
    public override string ToString() => $"{Path}: {Message}";
}

/// <summary>Either a validated value or every error found; never both.</summary>
/// <typeparam name="T">The validated model.</typeparam>
public sealed class ManifestResult<T>
    where T : class
{
    private ManifestResult(T? value, IReadOnlyList<ManifestError> errors)
    {
        Value = value;
        Errors = errors;
    }

    /// <summary>The validated model; null when <see cref="Errors"/> is not empty.</summary>
    public T? Value { get; }

    /// <summary>Every problem found, in the order they appear in the file.</summary>
    public IReadOnlyList<ManifestError> Errors { get; }

    /// <summary>True when the manifest is valid and <see cref="Value"/> is set.</summary>
    public bool IsValid => Value is not null;

    /// <summary>The errors as printed, one per line.</summary>
    public string FormatErrors() => string.Join('\n', Errors.Select(e => e.ToString()));

    internal static ManifestResult<T> Success(T value) => new(value, []);

    internal static ManifestResult<T> Failure(IReadOnlyList<ManifestError> errors) =>
        errors.Count == 0 ? throw new ArgumentException("A failure needs at least one error.", nameof(errors)) : new(null, errors);
}
