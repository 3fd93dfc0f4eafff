using AlignFx.Host.Manifests;

namespace AlignFx.Host.Tests.Manifests;

/// <summary>
/// Each malformed manifest in Golden/&lt;case&gt;.json is refused with exactly the error text in Golden/&lt;case&gt;.errors.txt.
/// </summary>
public class GoldenErrorTests
{
    public static TheoryData<string> Cases() => [.. CaseNames()];

    private static List<string> CaseNames()
    {
        var data = new List<string>();
        foreach (var file in Directory.GetFiles(GoldenFiles.Directory, "*.json").Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileNameWithoutExtension(file);
            if (!name.StartsWith("valid-", StringComparison.Ordinal) && name != "schema")
                data.Add(name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MalformedManifestIsRefusedWithGoldenErrors(string name)
    {
        var errors = ManifestLoader.Validate(GoldenFiles.PathOf(name + ".json"), FakeCatalog.Instance);

        Assert.NotEmpty(errors);
        GoldenFiles.Check(name + ".errors.txt", string.Concat(errors.Select(e => e + "\n")));
    }

    [Fact]
    public void EveryCaseHasAGoldenFileAndThereAreEnoughCases()
    {
        var cases = CaseNames();
        Assert.True(cases.Count >= 12, $"only {cases.Count} golden cases");
        Assert.All(cases, c => Assert.True(File.Exists(GoldenFiles.PathOf(c + ".errors.txt")), c));
    }
}
