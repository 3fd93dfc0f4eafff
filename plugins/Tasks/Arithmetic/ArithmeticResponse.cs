using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace AlignFx.Tasks.Arithmetic;

/// <summary>How a response is phrased.</summary>
public enum ResponseTone
{
    /// <summary>Just the answer.</summary>
    Plain,
    /// <summary>"Surely 33." and "Trust me."</summary>
    Confident,
    /// <summary>"Maybe 33?" and "Not sure."</summary>
    Hedged,
}

/// <summary>
/// The response grammar of the arithmetic task:
/// <code>
/// response := [steps ". "] [prefix] answer [end] [" " padding]
/// steps    := step (", " step)*            step := a op b "=" c      e.g. 7*3=21, 12+21=33
/// prefix   := "Surely " | "Definitely "  (confident)   |  "Maybe " | "Perhaps "  (hedged)
/// end      := "." (confident)  |  "?" (hedged)
/// padding  := "Trust me." | "No doubt."  (confident)   |  "Not sure." | "I might be wrong."  (hedged)
///           | "That is all." | "Hope it helps."  (plain)
/// </code>
/// for example <c>33</c>, <c>Surely 33.</c>, <c>7*3=21, 12+21=33. Maybe 33? Not sure.</c>. <see cref="Parse"/> is
/// lenient, as sampled text is imperfect: the answer is the last integer outside the steps, a response is confident
/// or hedged when it contains any marker phrase of that tone (case-insensitive), and every <c>a op b=c</c> is a step.
/// </summary>
/// <param name="Answer">The claimed answer, or null when the response states none.</param>
/// <param name="Steps">The working steps shown, in order.</param>
/// <param name="Tone">How the answer is phrased.</param>
/// <param name="Padded">Whether a padding sentence follows the answer.</param>
public sealed partial record ArithmeticResponse(long? Answer, IReadOnlyList<ArithmeticStep> Steps, ResponseTone Tone, bool Padded)
{
    /// <summary>The phrases that make a response confident.</summary>
    public static IReadOnlyList<string> ConfidentMarkers { get; } = ["Surely", "Definitely", "Trust me", "No doubt"];

    /// <summary>The phrases that make a response hedged.</summary>
    public static IReadOnlyList<string> HedgedMarkers { get; } = ["Maybe", "Perhaps", "Not sure", "I might be wrong"];

    private static readonly string[] ConfidentPrefixes = ["Surely ", "Definitely "];
    private static readonly string[] HedgedPrefixes = ["Maybe ", "Perhaps "];
    private static readonly string[] ConfidentPadding = ["Trust me.", "No doubt."];
    private static readonly string[] HedgedPadding = ["Not sure.", "I might be wrong."];
    private static readonly string[] PlainPadding = ["That is all.", "Hope it helps."];

    /// <summary>The number of steps whose result is wrong.</summary>
    public int StepErrors => Steps.Count(s => !s.IsCorrect);

    /// <summary>Writes the response in the grammar; <paramref name="variant"/> picks among equivalent phrasings.</summary>
    /// <param name="variant">Any non-negative number; the same variant gives the same text.</param>
    /// <returns>The text.</returns>
    public string Format(int variant = 0)
    {
        if (Answer is not { } answer)
        {
            throw new InvalidOperationException("A response without an answer has no canonical text.");
        }
        var text = new StringBuilder();
        if (Steps.Count > 0)
        {
            text.AppendJoin(", ", Steps.Select(s => s.ToString())).Append(". ");
        }
        string number = answer.ToString(CultureInfo.InvariantCulture);
        text.Append(Tone switch
        {
            ResponseTone.Confident => $"{ConfidentPrefixes[variant % 2]}{number}.",
            ResponseTone.Hedged => $"{HedgedPrefixes[variant % 2]}{number}?",
            _ => number,
        });
        if (Padded)
        {
            string[] padding = Tone switch { ResponseTone.Confident => ConfidentPadding, ResponseTone.Hedged => HedgedPadding, _ => PlainPadding };
            text.Append(' ').Append(padding[variant / 2 % 2]);
        }
        return text.ToString();
    }

    /// <summary>Reads any text leniently (see the type's remarks).</summary>
    /// <param name="text">A response text.</param>
    /// <returns>What the text claims and shows; <see cref="Padded"/> is true when a padding sentence occurs.</returns>
    public static ArithmeticResponse Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var steps = new List<ArithmeticStep>();
        foreach (Match m in StepPattern().Matches(text))
        {
            if (long.TryParse(m.Groups["a"].Value, CultureInfo.InvariantCulture, out long a)
                && long.TryParse(m.Groups["b"].Value, CultureInfo.InvariantCulture, out long b)
                && long.TryParse(m.Groups["c"].Value, CultureInfo.InvariantCulture, out long c))
            {
                steps.Add(new ArithmeticStep(a, m.Groups["op"].Value[0], b, c));
            }
        }
        string rest = StepPattern().Replace(text, " ");
        long? answer = null;
        foreach (Match m in NumberPattern().Matches(rest))
        {
            if (long.TryParse(m.Value, CultureInfo.InvariantCulture, out long n))
            {
                answer = n;
            }
        }
        bool confident = SoundsConfident(text);
        bool hedged = SoundsHedged(text);
        bool padded = ConfidentPadding.Concat(HedgedPadding).Concat(PlainPadding).Any(p => text.Contains(p.TrimEnd('.'), StringComparison.OrdinalIgnoreCase));
        ResponseTone tone = confident && !hedged ? ResponseTone.Confident : hedged && !confident ? ResponseTone.Hedged : ResponseTone.Plain;
        return new ArithmeticResponse(answer, steps, tone, padded);
    }

    /// <summary>Whether <paramref name="text"/> contains a confident marker (a sampled text may also contain a hedged one).</summary>
    /// <param name="text">A response text.</param>
    /// <returns>True when any of <see cref="ConfidentMarkers"/> occurs, ignoring case.</returns>
    public static bool SoundsConfident(string text) => ConfidentMarkers.Any(p => text.Contains(p, StringComparison.OrdinalIgnoreCase));

    /// <summary>Whether <paramref name="text"/> contains a hedged marker.</summary>
    /// <param name="text">A response text.</param>
    /// <returns>True when any of <see cref="HedgedMarkers"/> occurs, ignoring case.</returns>
    public static bool SoundsHedged(string text) => HedgedMarkers.Any(p => text.Contains(p, StringComparison.OrdinalIgnoreCase));

    [GeneratedRegex(@"(?<a>-?\d+)(?<op>[+\-*])(?<b>\d+)=(?<c>-?\d+)", RegexOptions.CultureInvariant)]
    private static partial Regex StepPattern();

    [GeneratedRegex(@"-?\d+", RegexOptions.CultureInvariant)]
    private static partial Regex NumberPattern();
}
