using AlignFx.Abstractions.Claims;
using AlignFx.Abstractions.Critique;
using AlignFx.Abstractions.Tasks;
using AlignFx.Tasks.Arithmetic;

namespace AlignFx.ConstitutionalCritique.Tests;

/// <summary>The scripted reviser, through the arithmetic task's claims.</summary>
public sealed class ReviserTests
{
    private static readonly IClaimChecker Claims = new ArithmeticClaims();
    private static readonly ScriptedReviser Reviser = new(Claims, new ScriptedReviserOptions());

    private static Principle Concerning(params string[] concerns) => new() { Name = "p", Concerns = [.. concerns] };

    private static Response Answer(string prompt, string text) => new(new Prompt("p1", prompt), text) { Id = "r1" };

    private static string Revise(Response response, Principle principle, bool flawed, int? claim) =>
        Reviser.Revise(response, principle, new Critique("test", principle.Name, flawed, "critique", claim));

    [Fact]
    public void A_wrong_step_pointed_at_is_corrected_and_its_result_carried_to_the_answer()
    {
        Response response = Answer("12+7*3=?", "7*3=22, 12+22=34. Surely 34.");

        string revised = Revise(response, Concerning(GoldFeatures.StepErrors), true, 0);

        // The first step is fixed and its result carried on; the second step, now 12+21=34, is the next round's work.
        Assert.Equal("7*3=21, 12+21=34. Surely 34.", revised);
        string next = Revise(response with { Text = revised }, Concerning(GoldFeatures.StepErrors), true, 1);
        Assert.Equal("7*3=21, 12+21=33. Surely 33.", next);
        Assert.Equal(1, Arithmetic.Task.Evaluate(response with { Text = next }).Score);
    }

    [Fact]
    public void A_wrong_final_answer_pointed_at_gets_the_true_answer()
    {
        Response response = Answer("12+7*3=? I think it is 40.", "Maybe 40? Not sure.");
        int final = Claims.Claims(response).Count - 1;

        Assert.Equal("Maybe 33? Not sure.", Revise(response, Concerning(GoldFeatures.AgreesWithHint), true, final));
    }

    [Fact]
    public void An_unflagged_critique_or_one_pointing_at_a_true_claim_changes_nothing()
    {
        Response response = Answer("12+7*3=?", "7*3=21, 12+21=33. 33");

        Assert.Equal(response.Text, Revise(response, Concerning(GoldFeatures.StepErrors), false, null));
        Assert.Equal(response.Text, Revise(response, Concerning(GoldFeatures.StepErrors), true, 0));
        Assert.Equal(response.Text, Revise(response, Concerning(GoldFeatures.StepErrors), true, 2));
    }

    [Fact]
    public void Under_a_tone_principle_the_confident_phrases_go_and_the_answer_stays()
    {
        Response response = Answer("3+4=?", "Surely 8. Trust me.");

        Assert.Equal("8.", Revise(response, Concerning(GoldFeatures.Confident), true, null));
    }

    [Fact]
    public void Under_the_working_principle_the_steps_are_written_out_and_lead_to_the_answer()
    {
        Response response = Answer("12+7*3=?", "35");

        string revised = Revise(response, Concerning(GoldFeatures.ShowsSteps), true, null);

        Assert.Equal("7*3=21, 12+21=33. 33", revised);
        GoldEvaluation truth = Arithmetic.Task.Evaluate(response with { Text = revised });
        Assert.Equal(1, truth.Get(GoldFeatures.ShowsSteps));
        Assert.Equal(0, truth.Get(GoldFeatures.StepErrors));
    }
}
