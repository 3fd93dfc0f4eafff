using AlignFx.BuildTools;

namespace AlignFx.Tensors.Torch.Tests.Build;

/// <summary>
/// The load fix of build/TorchNative on TorchSharp's real shim. The package cache's copy is only read; every write
/// goes to a temporary copy. "Debian 12" below is simulated on any system by taking GLIBCXX_3.4.32 out of the
/// system libstdc++'s versions, so the tests mean the same on a newer system.
/// </summary>
public sealed class ElfVersionNeedsTests
{
    private const string Libstdcxx = "libstdc++.so.6";

    private static string PackageShim()
    {
        string home = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string path = Path.Combine(home, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(File.Exists(path), $"TorchSharp's shim is not at {path}; restore the solution first.");
        return path;
    }

    private static HashSet<string> SystemLibstdcxxVersions()
    {
        string? lib = ElfVersionNeeds.Locate(Libstdcxx, "/nonexistent", 62);
        Assert.NotNull(lib);
        return ElfVersionNeeds.DefinedVersions(File.ReadAllBytes(lib))!;
    }

    /// <summary>The system's libstdc++ without the given versions; other needed files are not judged.</summary>
    private static Func<string, ISet<string>?> LibstdcxxWithout(params string[] versions)
    {
        var defined = SystemLibstdcxxVersions();
        defined.ExceptWith(versions);
        return file => file == Libstdcxx ? defined : null;
    }

    [Fact]
    public void On_Debian_12_the_shim_lacks_only_GLIBCXX_3_4_32_and_only_for_the_unused_ios_base_library_init_marker()
    {
        var missing = ElfVersionNeeds.Missing(File.ReadAllBytes(PackageShim()), LibstdcxxWithout("GLIBCXX_3.4.32"));

        var m = Assert.Single(missing);
        Assert.Equal((Libstdcxx, "GLIBCXX_3.4.32", false), (m.File, m.Version, m.Weak));
        Assert.Equal(["_ZSt21ios_base_library_initv"], m.Symbols);
        Assert.Empty(m.UsedSymbols);
    }

    [Fact]
    public void Marking_weak_changes_one_flag_byte_and_a_second_pass_changes_nothing()
    {
        byte[] original = File.ReadAllBytes(PackageShim());
        byte[] elf = (byte[])original.Clone();
        var defined = LibstdcxxWithout("GLIBCXX_3.4.32");

        Assert.Equal(1, ElfVersionNeeds.MarkWeak(elf, ElfVersionNeeds.Missing(elf, defined)));
        var changed = Enumerable.Range(0, elf.Length).Where(i => elf[i] != original[i]).ToArray();
        var after = Assert.Single(ElfVersionNeeds.Missing(elf, defined));

        Assert.Equal([after.FlagsOffset], changed.Select(i => (long)i));
        Assert.Equal(original[changed[0]] | ElfVersionNeeds.VerFlgWeak, elf[changed[0]]);
        Assert.True(after.Weak);
        Assert.Equal(0, ElfVersionNeeds.MarkWeak(elf, [after]));
    }

    [Fact]
    public void A_missing_version_whose_symbol_a_relocation_uses_is_refused_and_left_unchanged()
    {
        // GLIBCXX_3.4.30 carries std::condition_variable::wait, which the shim calls.
        byte[] elf = File.ReadAllBytes(PackageShim());
        byte[] before = (byte[])elf.Clone();
        var missing = ElfVersionNeeds.Missing(elf, LibstdcxxWithout("GLIBCXX_3.4.32", "GLIBCXX_3.4.30"));

        var used = Assert.Single(missing, m => m.Version == "GLIBCXX_3.4.30");
        Assert.Contains("_ZNSt18condition_variable4waitERSt11unique_lockISt5mutexE", used.UsedSymbols);
        var e = Assert.Throws<InvalidOperationException>(() => ElfVersionNeeds.MarkWeak(elf, [used]));
        Assert.Contains("condition_variable", e.Message);
        Assert.Equal(before, elf);
    }

    [Fact]
    public void The_build_step_patches_a_copy_once_keeps_its_timestamp_and_never_writes_through_a_hard_link()
    {
        string dir = Directory.CreateTempSubdirectory("alignfx-elf-").FullName;
        try
        {
            string copy = Path.Combine(dir, "libLibTorchSharp.so");
            string linked = Path.Combine(dir, "cache-copy.so");
            File.Copy(PackageShim(), linked);
            Assert.Equal(0, Link(linked, copy));
            var stamp = File.GetLastWriteTimeUtc(copy);
            bool systemIsNewEnough = SystemLibstdcxxVersions().Contains("GLIBCXX_3.4.32");

            string first = ElfWeakVersionFix.Apply(copy);
            string second = ElfWeakVersionFix.Apply(copy);

            if (systemIsNewEnough)
            {
                Assert.Contains("every version it needs is present", first);
                Assert.Contains("every version it needs is present", second);
            }
            else
            {
                Assert.Contains("marked libstdc++.so.6 GLIBCXX_3.4.32 weak", first);
                Assert.Contains("already patched", second);
                Assert.True(Assert.Single(ElfVersionNeeds.Missing(File.ReadAllBytes(copy), LibstdcxxWithout("GLIBCXX_3.4.32"))).Weak);
            }
            Assert.Equal(stamp, File.GetLastWriteTimeUtc(copy));
            Assert.Equal(File.ReadAllBytes(PackageShim()), File.ReadAllBytes(linked));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "link", SetLastError = true)]
    private static extern int Link(string existing, string newPath);

    [Fact]
    public void A_file_that_is_not_an_ELF64_library_is_left_as_it_is()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "not a library");
            Assert.Contains("not an ELF64 little-endian library", ElfWeakVersionFix.Apply(path));
            Assert.Equal("not a library", File.ReadAllText(path));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
