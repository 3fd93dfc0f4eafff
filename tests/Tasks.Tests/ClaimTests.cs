using System.Data;
using System.Globalization;
using AlignFx.Abstractions.Claims;
using AlignFx.Abstractions.Tasks;
using AlignFx.Tasks.Arithmetic;
using FsCheck;
using FsCheck.Fluent;

namespace AlignFx.Tasks.Tests;

public sealed class ClaimTests
{
    private static readonly ArithmeticClaims Checker = new();
    private static readonly Prompt Question = new("p", new ArithmeticProblem([12, 7, 3], "+*").PromptText);

    [Fact]
    public void A_response_claims_its_steps_then_its_answer_as_the_prompt_expression()
    {
        IReadOnlyList<Claim> claims = Checker.Claims(new Response(Question, "7*3=21, 12+21=34. Surely 34. Trust me."));

        Assert.Equal(["7*3=21", "12+21=34", "12+7*3=34"], claims.Select(c => c.Text));
        Assert.Equal([1.0, 2.0, 3.0], claims.Select(c => c.Difficulty));
        Assert.Equal([false, false, true], claims.Select(c => c.IsFinal));
    }

    [Fact]
    public void A_response_without_steps_has_only_its_final_claim_and_one_without_an_answer_only_its_steps()
    {
        Assert.Equal(["12+7*3=33"], Checker.Claims(new Response(Question, "Maybe 33?")).Select(c => c.Text));
        Assert.Empty(Checker.Claims(new Response(Question, "no idea")));
    }

    [Theory]
    [InlineData("7*3=21", 1, true)]
    [InlineData("7*3=22", 1, false)]
    [InlineData("73*60=4380", 2, true)]
    [InlineData("73*60=4380", 1, null)]
    [InlineData("12+7*3=33", 3, true)]
    [InlineData("12+7*3=33", 2.5, null)]
    [InlineData("-9+5*2=1", 3, true)]
    [InlineData("3-12=-9", 2, true)]
    public void A_claim_is_checked_only_within_the_verification_limit(string text, double limit, bool? expected)
    {
        Assert.Equal(expected, Checker.Check(ArithmeticClaims.Of(text), limit));
    }

    [Fact]
    public void A_claim_that_lies_about_its_difficulty_is_judged_by_its_text()
    {
        Assert.Null(Checker.Check(new Claim("4380+12=4392", Difficulty: 1), verificationLimit: 1));
        Assert.Null(Checker.Check(new Claim("not a claim", Difficulty: 0), verificationLimit: 100));
    }

    [Fact]
    public void A_chain_splits_into_its_steps_that_all_hold_exactly_when_it_does()
    {
        var operands = Gen.Choose(0, 99).ArrayOf().Where(a => a.Length is >= 2 and <= 4);
        var cases = operands.SelectMany(o => Gen.Elements('+', '-', '*').ArrayOf(o.Length - 1)
            .SelectMany(ops => Gen.Choose(-3, 3).Select(offset => (o, new string(ops), offset))));
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            string expression = new ArithmeticProblem([.. c.o.Select(x => (long)x)], c.Item2).Expression;
            // DataTable.Compute is an independent evaluator of the same infix text.
            long truth = Convert.ToInt64(new DataTable().Compute(expression, null), CultureInfo.InvariantCulture);
            Claim claim = ArithmeticClaims.Of(string.Create(CultureInfo.InvariantCulture, $"{expression}={truth + c.offset}"));
            IReadOnlyList<Claim> parts = Checker.Split(claim);

            bool claimHolds = Checker.Check(claim, double.PositiveInfinity)!.Value;
            bool partsHold = parts.All(p => Checker.Check(p, double.PositiveInfinity)!.Value);
            bool splits = c.o.Length == 2 ? parts.Count == 0 : parts.Count == c.o.Length - 1;
            return claimHolds == (c.offset == 0) && splits && (parts.Count == 0 || partsHold == claimHolds);
        }).QuickCheckThrowOnFailure();
    }

    [Theory]
    [InlineData("12+21=34", "12+21=33")]
    [InlineData("7*3=21", "7*3=21")]
    [InlineData("-9+5*2=0", "-9+5*2=1")]
    public void A_corrected_claim_keeps_its_expression_and_states_the_true_result(string claim, string corrected)
    {
        Assert.Equal(corrected, Checker.Corrected(ArithmeticClaims.Of(claim))!.Text);
        Assert.Null(Checker.Corrected(new Claim("33", 0)));
    }

    [Fact]
    public void The_arithmetic_task_offers_its_claim_checker()
    {
        ITask task = new ArithmeticTask(new ArithmeticOptions(), new TestRunContext(1));

        Assert.IsType<ArithmeticClaims>(task.Claims);
    }
}
