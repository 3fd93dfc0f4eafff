namespace AlignFx.Host;

internal static class Program
{
    public static int Main(string[] args)
    {
        Console.WriteLine("alignfx: not yet wired");
        return 0;
    }
}
