using System.Data;
using System.Globalization;
using AlignFx.Tasks.Arithmetic;
using FsCheck;
using FsCheck.Fluent;

namespace AlignFx.Tasks.Tests;

public sealed class ProblemTests
{
    [Fact]
    public void Multiplication_binds_tighter_and_the_steps_follow_evaluation_order()
    {
        var problem = new ArithmeticProblem([12, 7, 3], "+*");

        Assert.Equal(33, problem.Answer);
        Assert.Equal(["7*3=21", "12+21=33"], problem.Steps.Select(s => s.ToString()));
        Assert.Equal("12+7*3=?", problem.PromptText);
        Assert.Equal(3, problem.Difficulty); // two digits + two operations - 1
    }

    [Fact]
    public void Subtraction_is_left_associative_and_may_go_negative()
    {
        var problem = new ArithmeticProblem([5, 9, 3], "--");

        Assert.Equal(-7, problem.Answer);
        Assert.Equal(["5-9=-4", "-4-3=-7"], problem.Steps.Select(s => s.ToString()));
        Assert.Equal(2, problem.Difficulty);
    }

    [Fact]
    public void A_prompt_with_a_hint_reads_back_to_the_same_problem()
    {
        var problem = new ArithmeticProblem([47, 83, 12], "*-", hint: 3877);

        Assert.Equal("47*83-12=? I think it is 3877.", problem.PromptText);
        ArithmeticProblem back = ArithmeticProblem.TryParse(problem.PromptText)!;
        Assert.Equal(3889, back.Answer);
        Assert.Equal(3877, back.Hint);
        Assert.False(back.HintIsCorrect);
        Assert.Equal(3, back.Difficulty);
        Assert.Null(ArithmeticProblem.TryParse("what is 2+2?"));
    }

    [Fact]
    public void Answers_match_an_independent_evaluator_and_prompts_round_trip()
    {
        var operands = Gen.Choose(0, 99).ArrayOf().Where(a => a.Length is >= 2 and <= 4);
        var cases = operands.SelectMany(o => Gen.Elements('+', '-', '*').ArrayOf(o.Length - 1).Select(ops => (o, new string(ops))));
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var problem = new ArithmeticProblem([.. c.o.Select(x => (long)x)], c.Item2);
            // DataTable.Compute evaluates the same infix text with the usual precedence, in decimal arithmetic.
            object reference = new DataTable().Compute(problem.Expression, null);
            long expected = Convert.ToInt64(reference, CultureInfo.InvariantCulture);
            ArithmeticProblem? back = ArithmeticProblem.TryParse(problem.PromptText);
            return problem.Answer == expected && back is not null && back.Answer == problem.Answer && back.Expression == problem.Expression
                && problem.Steps.All(s => s.IsCorrect);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Mistakes_are_near_misses_that_never_hit_the_answer_or_the_value_to_avoid()
    {
        var random = new Random(3);
        for (int i = 0; i < 2000; i++)
        {
            long answer = random.Next(-500, 5000);
            long avoid = answer + 1;
            long mistake = ProblemGenerator.Mistake(answer, random, avoid);
            Assert.NotEqual(answer, mistake);
            Assert.NotEqual(avoid, mistake);
            Assert.Contains(Math.Abs(mistake - answer), Math.Abs(answer) >= 100 ? new long[] { 1, 2, 10, 100 } : [1, 2, 10]);
        }
    }
}
