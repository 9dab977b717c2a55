using Workbench.Autograd.Nn;

namespace Workbench.Autograd.Serialization;

/// <summary>Checkpoints of a module's parameters as safetensors files, keyed by <see cref="Module.StateDict"/> names.</summary>
public static class ModuleSafeTensorsExtensions
{
    /// <summary>Writes every parameter under its dotted name ("encoder.0.weight"), atomically, with optional metadata.</summary>
    public static void SaveSafeTensors(this Module module, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        SafeTensors.Save(path, module.StateDict(), metadata);
    }

    /// <summary>
    /// Copies the parameters stored in <paramref name="path"/> into the module (converting F64 to float32 or back
    /// if the module's dtype differs) and returns the file's metadata. With <paramref name="strict"/>, a missing or
    /// unexpected name is an error; a shape mismatch always is. On any error the module is left unchanged.
    /// </summary>
    public static IReadOnlyDictionary<string, string> LoadSafeTensors(this Module module, string path, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(module);
        var file = SafeTensors.Load(path);
        try
        {
            module.LoadStateDict(file.Tensors, strict);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidDataException($"Cannot load '{path}' into {module.GetType().Name}: {ex.Message}", ex);
        }
        return file.Metadata;
    }
}
