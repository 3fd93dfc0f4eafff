using AlignFx.Abstractions.Plugins;

namespace AlignFx.Host.Manifests;

/// <summary>How component kinds read in sentences ("reward model", "policies").</summary>
internal static class KindWords
{
    public static string Singular(string kind) => kind switch
    {
        ComponentKinds.Oversight => "oversight method",
        _ => kind.Replace('-', ' '),
    };

    public static string Plural(string kind) => kind switch
    {
        ComponentKinds.Policy => "policies",
        ComponentKinds.Oversight => "oversight methods",
        _ => kind.Replace('-', ' ') + "s",
    };

    public static string WithArticle(string kind)
    {
        var word = Singular(kind);
        return ("aeiou".Contains(word[0]) ? "an " : "a ") + word;
    }
}
