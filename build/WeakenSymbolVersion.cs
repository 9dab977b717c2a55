// Build task: marks one symbol-version requirement of an ELF64 shared library weak, where the machine's library that
// should provide it does not (see TorchSharpNative.targets for why). Reads .gnu.version_r (SHT_GNU_verneed): a chain
// of Elf64_Verneed records (one per needed library), each with a chain of Elf64_Vernaux records (one per version),
// and sets VER_FLG_WEAK in vna_flags of the record naming Version under Dependency.
using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public sealed class WeakenSymbolVersion : Task
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlgWeak = 0x2;

    [Required] public string Library { get; set; } = "";
    [Required] public string Dependency { get; set; } = "";
    [Required] public string Version { get; set; } = "";
    [Output] public bool Patched { get; set; }

    public override bool Execute()
    {
        if (SystemProvides(Dependency, Version)) return true;
        byte[] elf = File.ReadAllBytes(Library);
        int? flags = FindVernauxFlags(elf, Dependency, Version);
        if (flags is null)
        {
            Log.LogMessage(MessageImportance.Low, $"{Library} does not require {Version} from {Dependency}; nothing to do.");
            return true;
        }
        int at = flags.Value;
        ushort value = BitConverter.ToUInt16(elf, at);
        if ((value & VerFlgWeak) != 0) return true;
        BitConverter.GetBytes((ushort)(value | VerFlgWeak)).CopyTo(elf, at);
        string temporary = Library + ".weak-version.tmp";
        File.WriteAllBytes(temporary, elf);
        File.Replace(temporary, Library, null); // a rename: the old file (or a hard link to the cache's) is untouched
        Patched = true;
        return true;
    }

    /// <summary>True when a system copy of the dependency defines the version (its name is in the file's strings).</summary>
    private static bool SystemProvides(string dependency, string version)
    {
        string[] dirs = ["/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib", "/lib"];
        byte[] needle = Encoding.ASCII.GetBytes(version + "\0");
        foreach (string dir in dirs)
        {
            string path = Path.Combine(dir, dependency);
            if (File.Exists(path)) return Contains(File.ReadAllBytes(path), needle);
        }
        return false;
    }

    /// <summary>File offset of vna_flags for (dependency, version), or null when the library does not require it.</summary>
    private static int? FindVernauxFlags(byte[] elf, string dependency, string version)
    {
        if (elf.Length < 64 || elf[0] != 0x7F || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F' || elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException("not a little-endian ELF64 file");
        long shoff = BitConverter.ToInt64(elf, 0x28);
        int shentsize = BitConverter.ToUInt16(elf, 0x3A), shnum = BitConverter.ToUInt16(elf, 0x3C);
        for (int i = 0; i < shnum; i++)
        {
            int sh = checked((int)(shoff + (long)i * shentsize));
            if (BitConverter.ToUInt32(elf, sh + 4) != ShtGnuVerneed) continue;
            int offset = checked((int)BitConverter.ToInt64(elf, sh + 0x18));
            int strtab = checked((int)(shoff + (long)BitConverter.ToUInt32(elf, sh + 0x28) * shentsize));
            int strings = checked((int)BitConverter.ToInt64(elf, strtab + 0x18));
            int needed = checked((int)BitConverter.ToUInt32(elf, sh + 0x2C));
            for (int n = 0, vn = offset; n < needed; n++)
            {
                int count = BitConverter.ToUInt16(elf, vn + 2);
                string file = CString(elf, strings + (int)BitConverter.ToUInt32(elf, vn + 4));
                for (int a = 0, vna = vn + (int)BitConverter.ToUInt32(elf, vn + 8); a < count; a++)
                {
                    if (file == dependency && CString(elf, strings + (int)BitConverter.ToUInt32(elf, vna + 8)) == version)
                        return vna + 4;
                    vna += (int)BitConverter.ToUInt32(elf, vna + 12);
                }
                vn += (int)BitConverter.ToUInt32(elf, vn + 12);
            }
        }
        return null;
    }

    private static bool Contains(byte[] haystack, byte[] needle)
    {
        for (int i = Array.IndexOf(haystack, needle[0]); i >= 0 && i <= haystack.Length - needle.Length; i = Array.IndexOf(haystack, needle[0], i + 1))
        {
            int j = 1;
            while (j < needle.Length && haystack[i + j] == needle[j]) j++;
            if (j == needle.Length) return true;
        }
        return false;
    }

    private static string CString(byte[] bytes, int start)
    {
        int end = Array.IndexOf(bytes, (byte)0, start);
        return Encoding.ASCII.GetString(bytes, start, end - start);
    }
}
