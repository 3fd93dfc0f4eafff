namespace AlignFx.Abstractions.Runs;

/// <summary>One turn of a dialogue a plugin contributes to the report. Added in contracts 2.3.</summary>
/// <param name="Speaker">Who speaks (a debater, the judge, a consultant, a critic).</param>
/// <param name="Text">What they say, as plain text (the report escapes it).</param>
public sealed record ReportDialogueTurn(string Speaker, string Text);

/// <summary>
/// A dialogue a plugin contributes to the report (a debate, a consultancy, a critique and its revision): turns by
/// speaker, shown as a conversation rather than as preformatted text. Data, never markup. Added in contracts 2.3.
/// </summary>
/// <param name="Title">What it is, for example the question and its answers.</param>
/// <param name="Turns">The turns, in order.</param>
public sealed record ReportDialogueData(string Title, IReadOnlyList<ReportDialogueTurn> Turns)
{
    /// <summary>How it ended, for example <c>"verdict: 49 (right)"</c>, or null.</summary>
    public string? Outcome { get; init; }
}
