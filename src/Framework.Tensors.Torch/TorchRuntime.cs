namespace AlignFx.Tensors.Torch;

/// <summary>placeholder</summary>
public static class TorchRuntime
{
    /// <summary>placeholder</summary>
    public static string Version => TorchSharp.torch.__version__;
}
