using System.Text.RegularExpressions;

namespace AlignFx.Reporting.Tests;

/// <summary>Dialogues (contracts 2.3): a contributed debate is drawn turn by turn, its text escaped.</summary>
public sealed class DialogueTests
{
    private static Report WithDialogues(params ReportDialogue[] dialogues) => new(
        "Dialogues", ReportKinds.Run, "id-1", null, [],
        [new ReportSection("Sample debates", "Two debates.") { Dialogues = dialogues }], []);

    private static string DialogueMarkup(string html) =>
        string.Join("\n", Regex.Matches(html, "<div class=\"card dialogue\">.*?</div>", RegexOptions.Singleline).Select(m => m.Value)) + "\n";

    [Fact]
    public void A_dialogue_is_drawn_turn_by_turn_with_speakers_and_its_outcome_and_every_text_escaped()
    {
        Report report = WithDialogues(
            new ReportDialogue("57+24-61+29=? 49 against 51", "verdict: 49 (right)",
            [
                new ReportDialogueLine("debater-a", "I defend 49: [1] 57+24=81; [2] 81-61=20; [3] 20+29=49."),
                new ReportDialogueLine("debater-b", "I dispute claim 3 of debater-a: 20+29=49."),
                new ReportDialogueLine("judge", "checks 20+29=49: true"),
            ]),
            new ReportDialogue("<script>alert('x')</script> & \"quotes\"", null,
            [
                new ReportDialogueLine("<b>speaker</b>", "a < b && c > d, 'single' \"double\""),
            ]));

        string html = ReportRenderer.Render(report);

        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>speaker</b>", html, StringComparison.Ordinal);
        Assert.Equal(2, Regex.Matches(html, "<div class=\"card dialogue\">").Count);
        Assert.Equal(4, Regex.Matches(html, "<dt>").Count);
        Golden.Check("dialogues.html", DialogueMarkup(html));
    }

    [Fact]
    public void A_section_without_dialogues_draws_none() =>
        Assert.DoesNotContain("dialogue", ReportRenderer.Render(WithDialogues()), StringComparison.Ordinal);
}
