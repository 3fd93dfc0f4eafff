using AlignFx.Abstractions.Oversight;
using AlignFx.Abstractions.Runs;

namespace AlignFx.Debate;

/// <summary>
/// Sample debates as report dialogues (contracts 2.3): the verdicts the sample shows are half right and half wrong
/// where there are both (the rest from whichever there are), in the order played; each debate's turns keep their
/// speakers, the debaters named with the answer they defend.
/// </summary>
internal static class DebateDialogues
{
    /// <summary>
    /// A contribution of one section: a table (or none) and, per group (for example before and after training), up to
    /// <paramref name="count"/> of its games as dialogues.
    /// </summary>
    public static ReportContribution Contribution(string title, ReportTableData? table, IReadOnlyList<(string Label, IReadOnlyList<ArenaResult> Results)> groups, int count)
    {
        var dialogues = new List<ReportDialogueData>();
        foreach ((string label, IReadOnlyList<ArenaResult> results) in groups)
        {
            dialogues.AddRange(Sample(results, r => r.Correct, count).Select(r => FromArena(label, r)));
        }
        var section = new ReportSectionData(title,
            "Debates of the evaluation questions, each with one right and one wrong answer; half of those shown ended in a right verdict and half in a wrong one where both occurred. 'policy' marks a side the trained policy played.")
        {
            Tables = table is null ? [] : [table],
            Dialogues = dialogues,
        };
        return new ReportContribution([], [section]);
    }

    /// <summary>A contribution of sample items of <c>oversee</c> as dialogues.</summary>
    public static ReportContribution Contribution(string method, IReadOnlyList<OverseeStage.Item> items, int count)
    {
        var section = new ReportSectionData($"Sample {method} dialogues",
            "Questions of one right and one wrong answer, judged in both answer orders; half of those shown ended in a right verdict and half in a wrong one where both occurred.")
        {
            Dialogues = [.. Sample(items, i => i.Correct, count).Select(FromItem)],
        };
        return new ReportContribution([], [section]);
    }

    /// <summary>Up to <paramref name="count"/> items, half with <paramref name="correct"/> and half without where there are enough, in their order.</summary>
    public static IReadOnlyList<T> Sample<T>(IReadOnlyList<T> items, Func<T, bool> correct, int count)
    {
        ArgumentNullException.ThrowIfNull(items);
        var right = Enumerable.Range(0, items.Count).Where(i => correct(items[i])).ToList();
        var wrong = Enumerable.Range(0, items.Count).Where(i => !correct(items[i])).ToList();
        int takeWrong = Math.Min(wrong.Count, Math.Max(count / 2, count - right.Count));
        int takeRight = Math.Min(right.Count, count - takeWrong);
        return [.. right.Take(takeRight).Concat(wrong.Take(takeWrong)).Order().Select(i => items[i])];
    }

    private static ReportDialogueData FromArena(string label, ArenaResult result)
    {
        ArenaGame spec = result.Spec;
        string Side(int s) => $"{(s == 0 ? Speakers.DebaterA : Speakers.DebaterB)}{(spec.PolicySides[s] ? " (policy)" : "")}";
        string Answer(int s) => spec.Question.Candidates[spec.Order[s]].Text;
        var turns = result.Game.Transcript.Select(t => new ReportDialogueTurn(
            t.Speaker == Speakers.DebaterA ? Side(0) : t.Speaker == Speakers.DebaterB ? Side(1) : t.Speaker, t.Text)).ToList();
        string chosen = spec.Question.Candidates[result.Game.Chosen].Text;
        return new ReportDialogueData($"{label}: {spec.Question.Candidates[0].Prompt.Text} {Side(0)} defends {Answer(0)}, {Side(1)} defends {Answer(1)}", turns)
        {
            Outcome = $"verdict: {chosen} ({(result.Correct ? "right" : "wrong")}; {(result.Game.DecidedByCheck ? "decided by a check" : "decided by the judge's impression")})",
        };
    }

    private static ReportDialogueData FromItem(OverseeStage.Item item)
    {
        OversightQuestion q = item.Question;
        OversightVerdict verdict = item.Outcome.Verdict;
        return new ReportDialogueData($"{q.Candidates[0].Prompt.Text} candidate 0: {q.Candidates[0].Text}, candidate 1: {q.Candidates[1].Text}",
            [.. verdict.Transcript.Select(t => new ReportDialogueTurn(t.Speaker, t.Text))])
        {
            Outcome = $"verdict: candidate {verdict.Chosen}, {q.Candidates[verdict.Chosen].Text} ({(item.Correct ? "right" : "wrong")}{(item.Checkable ? "" : "; the judge could not check it alone")})",
        };
    }
}
