// Makes TorchSharp's native shim load where the system libstdc++ predates the GCC that built it.
// Compiled twice: as an MSBuild inline task (build/TorchNative/TorchNative.targets) and into
// tests/Framework.Tensors.Torch.Tests (with ELF_VERSION_NEEDS_TESTS defined, which leaves out the MSBuild task).
// Written against netstandard2.0 (what inline tasks compile against): byte arrays, no spans.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace AlignFx.BuildTools;

/// <summary>One version requirement (an entry of .gnu.version_r) that the library providing it lacks.</summary>
public sealed class MissingVersion
{
    public MissingVersion(string file, string version, long flagsOffset, bool weak, IReadOnlyList<string> symbols, IReadOnlyList<string> usedSymbols)
    {
        File = file; Version = version; FlagsOffset = flagsOffset; Weak = weak; Symbols = symbols; UsedSymbols = usedSymbols;
    }

    /// <summary>The needed library (vn_file), e.g. libstdc++.so.6.</summary>
    public string File { get; }
    /// <summary>The version name (vna_name), e.g. GLIBCXX_3.4.32.</summary>
    public string Version { get; }
    /// <summary>Byte offset of this entry's vna_flags in the file.</summary>
    public long FlagsOffset { get; }
    /// <summary>True when the requirement is already marked VER_FLG_WEAK.</summary>
    public bool Weak { get; }
    /// <summary>Dynamic symbols bound to this version.</summary>
    public IReadOnlyList<string> Symbols { get; }
    /// <summary>Those of <see cref="Symbols"/> that a relocation refers to (or that the file defines): they must resolve.</summary>
    public IReadOnlyList<string> UsedSymbols { get; }
}

/// <summary>
/// Reads an ELF64 little-endian shared library's version requirements (.gnu.version_r), finds those the
/// providing libraries do not define, and marks a missing one weak (VER_FLG_WEAK) when no relocation uses
/// any of its symbols: the dynamic loader then only notes the absence instead of refusing to load.
/// A missing version whose symbols are used is never touched (loading would fail later, or worse, bind wrong).
/// </summary>
public static class ElfVersionNeeds
{
    public const ushort VerFlgWeak = 0x2;
    private const uint ShtRela = 4, ShtRel = 9, ShtDynsym = 11, ShtGnuVerdef = 0x6ffffffd, ShtGnuVerneed = 0x6ffffffe, ShtGnuVersym = 0x6fffffff;

    /// <summary>The version names a library defines (.gnu.version_d), or null when the file is not an ELF64 LE library.</summary>
    public static HashSet<string>? DefinedVersions(byte[] elf)
    {
        if (!IsElf64Le(elf))
        {
            return null;
        }
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var sh in Sections(elf))
        {
            if (sh.Type != ShtGnuVerdef)
            {
                continue;
            }
            var strtab = Sections(elf)[(int)sh.Link];
            long p = sh.Offset;
            for (uint i = 0; i < sh.Info; i++)
            {
                ushort cnt = U16(elf, p + 6);
                uint aux = U32(elf, p + 12), next = U32(elf, p + 16);
                long a = p + aux;
                for (int j = 0; j < cnt; j++)
                {
                    names.Add(Str(elf, strtab.Offset + U32(elf, a)));
                    uint anext = U32(elf, a + 4);
                    if (anext == 0) break;
                    a += anext;
                }
                if (next == 0) break;
                p += next;
            }
        }
        return names;
    }

    /// <summary>
    /// Every version requirement of <paramref name="elf"/> that its provider lacks. <paramref name="definedBy"/>
    /// gives the versions a needed file defines, or null when the file cannot be found (its requirements are then skipped).
    /// </summary>
    public static List<MissingVersion> Missing(byte[] elf, Func<string, ISet<string>?> definedBy)
    {
        if (!IsElf64Le(elf))
        {
            throw new InvalidDataException("not an ELF64 little-endian file");
        }
        var sections = Sections(elf);
        Section? verneed = null, versym = null, dynsym = null;
        foreach (var sh in sections)
        {
            if (sh.Type == ShtGnuVerneed) verneed = sh;
            else if (sh.Type == ShtGnuVersym) versym = sh;
            else if (sh.Type == ShtDynsym) dynsym = sh;
        }
        var result = new List<MissingVersion>();
        if (verneed is null)
        {
            return result;
        }
        if (versym is null || dynsym is null)
        {
            throw new InvalidDataException("version requirements without .gnu.version or .dynsym");
        }
        var dynstr = sections[(int)dynsym.Link];
        int symCount = (int)(dynsym.Size / 24);

        // Symbols that must resolve: referenced by a relocation against .dynsym, or defined here.
        var used = new bool[symCount];
        foreach (var sh in sections)
        {
            if ((sh.Type != ShtRela && sh.Type != ShtRel) || sh.Link != dynsym.Index)
            {
                continue;
            }
            long entsize = sh.Type == ShtRela ? 24 : 16;
            for (long r = sh.Offset; r + entsize <= sh.Offset + sh.Size; r += entsize)
            {
                ulong sym = U64(elf, r + 8) >> 32;
                if (sym != 0 && sym < (ulong)symCount) used[sym] = true;
            }
        }
        for (int s = 1; s < symCount; s++)
        {
            if (U16(elf, dynsym.Offset + s * 24 + 6) != 0) used[s] = true; // st_shndx != SHN_UNDEF
        }

        var vstr = sections[(int)verneed.Link];
        long p = verneed.Offset;
        for (uint i = 0; i < verneed.Info; i++)
        {
            ushort cnt = U16(elf, p + 2);
            string file = Str(elf, vstr.Offset + U32(elf, p + 4));
            uint aux = U32(elf, p + 8), next = U32(elf, p + 12);
            var defined = definedBy(file);
            long a = p + aux;
            for (int j = 0; j < cnt; j++)
            {
                ushort flags = U16(elf, a + 4), other = U16(elf, a + 6);
                string version = Str(elf, vstr.Offset + U32(elf, a + 8));
                if (defined is not null && !defined.Contains(version))
                {
                    var symbols = new List<string>();
                    var usedSymbols = new List<string>();
                    for (int s = 1; s < symCount; s++)
                    {
                        if ((U16(elf, versym.Offset + s * 2) & 0x7fff) != other) continue;
                        string name = Str(elf, dynstr.Offset + U32(elf, dynsym.Offset + s * 24));
                        symbols.Add(name);
                        if (used[s]) usedSymbols.Add(name);
                    }
                    result.Add(new MissingVersion(file, version, a + 4, (flags & VerFlgWeak) != 0, symbols, usedSymbols));
                }
                uint anext = U32(elf, a + 12);
                if (anext == 0) break;
                a += anext;
            }
            if (next == 0) break;
            p += next;
        }
        return result;
    }

    /// <summary>Marks each missing, unused, not yet weak requirement weak in <paramref name="elf"/>; returns how many.</summary>
    public static int MarkWeak(byte[] elf, IEnumerable<MissingVersion> missing)
    {
        int n = 0;
        foreach (var m in missing)
        {
            if (m.Weak) continue;
            if (m.UsedSymbols.Count > 0)
            {
                throw new InvalidOperationException($"{m.Version} of {m.File} is used by {string.Join(", ", m.UsedSymbols)}");
            }
            ushort flags = U16(elf, m.FlagsOffset);
            flags |= VerFlgWeak;
            elf[m.FlagsOffset] = (byte)flags;
            elf[m.FlagsOffset + 1] = (byte)(flags >> 8);
            n++;
        }
        return n;
    }

    /// <summary>Where the dynamic loader would find a needed library: next to the library, then the system directories.</summary>
    public static string? Locate(string needed, string besideDirectory, ushort machine)
    {
        string triple = machine == 183 ? "aarch64-linux-gnu" : "x86_64-linux-gnu";
        var dirs = new List<string> { besideDirectory };
        string? ld = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH");
        if (!string.IsNullOrEmpty(ld)) dirs.AddRange(ld!.Split(new[] { ':' }, StringSplitOptions.RemoveEmptyEntries));
        dirs.AddRange(new[] { "/lib/" + triple, "/usr/lib/" + triple, "/lib64", "/usr/lib64", "/lib", "/usr/lib" });
        foreach (var d in dirs)
        {
            string path = Path.Combine(d, needed);
            if (System.IO.File.Exists(path)) return path;
        }
        return null;
    }

    /// <summary>e_machine of an ELF file.</summary>
    public static ushort Machine(byte[] elf) => U16(elf, 18);

    public static bool IsElf64Le(byte[] elf) =>
        elf.Length >= 64 && elf[0] == 0x7f && elf[1] == (byte)'E' && elf[2] == (byte)'L' && elf[3] == (byte)'F' && elf[4] == 2 && elf[5] == 1;

    private sealed class Section
    {
        public int Index; public uint Type; public long Offset; public long Size; public uint Link; public uint Info;
    }

    private static List<Section> Sections(byte[] elf)
    {
        long shoff = (long)U64(elf, 0x28);
        ushort shentsize = U16(elf, 0x3A), shnum = U16(elf, 0x3C);
        if (shoff <= 0 || shentsize < 64 || shoff + (long)shnum * shentsize > elf.Length)
        {
            throw new InvalidDataException("section header table out of range");
        }
        var list = new List<Section>(shnum);
        for (int i = 0; i < shnum; i++)
        {
            long h = shoff + (long)i * shentsize;
            var s = new Section { Index = i, Type = U32(elf, h + 4), Offset = (long)U64(elf, h + 24), Size = (long)U64(elf, h + 32), Link = U32(elf, h + 40), Info = U32(elf, h + 44) };
            if (s.Type != 8 && s.Offset + s.Size > elf.Length) // 8 = SHT_NOBITS
            {
                throw new InvalidDataException($"section {i} out of range");
            }
            list.Add(s);
        }
        return list;
    }

    private static ushort U16(byte[] b, long o) => (ushort)(b[o] | b[o + 1] << 8);
    private static uint U32(byte[] b, long o) => (uint)(b[o] | b[o + 1] << 8 | b[o + 2] << 16 | b[o + 3] << 24);
    private static ulong U64(byte[] b, long o) => U32(b, o) | (ulong)U32(b, o + 4) << 32;

    private static string Str(byte[] b, long o)
    {
        long e = o;
        while (e < b.Length && b[e] != 0) e++;
        return Encoding.ASCII.GetString(b, (int)o, (int)(e - o));
    }
}

/// <summary>
/// Applies <see cref="ElfVersionNeeds"/> to one library: does nothing when every requirement is met or already weak,
/// marks the missing unused ones weak (writing a new file and renaming it over the old, so a hard link to the
/// package cache is never written through; the modification time is kept so incremental copies see no change),
/// and refuses when a missing version's symbol is used. Returns a line for the build log.
/// </summary>
public static class ElfWeakVersionFix
{
    public static string Apply(string path)
    {
        byte[] elf = System.IO.File.ReadAllBytes(path);
        if (!ElfVersionNeeds.IsElf64Le(elf))
        {
            return $"{path}: not an ELF64 little-endian library; left as it is";
        }
        string dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        ushort machine = ElfVersionNeeds.Machine(elf);
        var missing = ElfVersionNeeds.Missing(elf, file =>
        {
            string? found = ElfVersionNeeds.Locate(file, dir, machine);
            return found is null ? null : ElfVersionNeeds.DefinedVersions(System.IO.File.ReadAllBytes(found));
        });
        var used = missing.FindAll(m => m.UsedSymbols.Count > 0);
        if (used.Count > 0)
        {
            var why = new StringBuilder();
            foreach (var m in used)
            {
                why.Append($" {m.File} lacks {m.Version}, which {string.Join(", ", m.UsedSymbols)} need{(m.UsedSymbols.Count == 1 ? "s" : "")};");
            }
            throw new InvalidOperationException(
                $"{path}: cannot be made to load on this system:{why} install a newer libstdc++ (GCC 13 or later) or use the torch backend on a newer system.");
        }
        var todo = missing.FindAll(m => !m.Weak);
        if (todo.Count == 0)
        {
            return missing.Count == 0
                ? $"{path}: every version it needs is present; left as it is"
                : $"{path}: already patched ({Describe(missing)} weak); left as it is";
        }
        ElfVersionNeeds.MarkWeak(elf, todo);
        var stamp = System.IO.File.GetLastWriteTimeUtc(path);
        string tmp = path + ".weak-tmp";
        System.IO.File.WriteAllBytes(tmp, elf);
        System.IO.File.SetLastWriteTimeUtc(tmp, stamp);
        // Unlink, then rename: a hard link the copy may share with the package cache keeps its bytes.
        System.IO.File.Delete(path);
        System.IO.File.Move(tmp, path);
        return $"{path}: marked {Describe(todo)} weak (no relocation uses {Symbols(todo)})";
    }

    private static string Describe(List<MissingVersion> ms) => string.Join(", ", ms.ConvertAll(m => $"{m.File} {m.Version}"));

    private static string Symbols(List<MissingVersion> ms)
    {
        var all = new List<string>();
        foreach (var m in ms) all.AddRange(m.Symbols);
        return all.Count == 0 ? "any symbol" : string.Join(", ", all);
    }
}

#if !ELF_VERSION_NEEDS_TESTS
/// <summary>MSBuild task: applies <see cref="ElfWeakVersionFix"/> to each given library.</summary>
public sealed class WeakenMissingElfVersions : Microsoft.Build.Utilities.Task
{
    [Microsoft.Build.Framework.Required]
    public Microsoft.Build.Framework.ITaskItem[] Libraries { get; set; } = Array.Empty<Microsoft.Build.Framework.ITaskItem>();

    public override bool Execute()
    {
        foreach (var item in Libraries)
        {
            try
            {
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Normal, ElfWeakVersionFix.Apply(item.ItemSpec));
            }
            catch (Exception e) when (e is InvalidOperationException || e is InvalidDataException || e is IOException)
            {
                Log.LogError(null, "ALIGNFX0001", null, item.ItemSpec, 0, 0, 0, 0, e.Message);
            }
        }
        return !Log.HasLoggedErrors;
    }
}
#endif
