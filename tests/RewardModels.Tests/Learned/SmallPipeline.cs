using AlignFx.Abstractions.Feedback;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Rewards;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using AlignFx.Feedback;
using AlignFx.LanguageModels;
using AlignFx.Tasks.Arithmetic;

namespace AlignFx.RewardModels.Tests.Learned;

/// <summary>
/// A small GPT policy (2 layers, d 64) pretrained briefly on the arithmetic corpus, shared by the tests of this
/// folder (pretraining it is the slow part), and helpers to collect labels and train reward models on it.
/// </summary>
public sealed class SmallPipeline : IDisposable
{
    public const long Seed = 11;

    public ArithmeticTask Task { get; } = new(new ArithmeticOptions { TrainPrompts = 1500, TestPrompts = 300, Corpus = new() { Examples = 3000 } }, new TestRunContext(Seed));

    public GptPolicy Policy { get; }

    public SmallPipeline()
    {
        Policy = new GptPolicy(new GptOptions { Layers = 2, DModel = 64, Heads = 4, Context = 96 }, new TestRunContext(Seed), Task);
        using var context = new TestStageContext(Seed, Task, Policy);
        new PretrainStage(new PretrainOptions { Steps = 150, BatchSize = 32, LearningRate = 3e-3, WarmupSteps = 10, SaveCheckpoint = false })
            .RunAsync(context, CancellationToken.None).GetAwaiter().GetResult();
    }

    /// <summary>A stage context on the shared policy whose components are the learned rewards and the feedback sources.</summary>
    internal TestStageContext Context(long seed, Func<ComponentRef, object>? more = null)
    {
        TestStageContext? context = null;
        context = new TestStageContext(seed, Task, Policy, r => more?.Invoke(r) ?? Create(r, context!));
        return context;
    }

    private static object Create(ComponentRef reference, TestStageContext context) => reference.Name switch
    {
        "bradley-terry" => new BradleyTerryRewardModel(Bind<BradleyTerryOptions>(reference)),
        "ensemble" => new EnsembleRewardModel(Bind<EnsembleOptions>(reference)),
        "trained" => new TrainedRewardModel(Bind<TrainedRewardOptions>(reference), context.Artifacts),
        "ensemble-disagreement" => new EnsembleDisagreementSelector(Bind<EnsembleDisagreementOptions>(reference), context.Artifacts),
        "simulated-human" => new SimulatedHumanSource(Bind<SimulatedHumanOptions>(reference), new TestRunContext(context.Seed), context.Task.Gold!),
        _ => throw new InvalidOperationException($"no component '{reference.Name}' in this test"),
    };

    private static T Bind<T>(ComponentRef reference) where T : new() =>
        reference.Options is { } json ? System.Text.Json.JsonSerializer.Deserialize<T>(json.GetRawText(), JsonOptions)! : new T();

    private static readonly System.Text.Json.JsonSerializerOptions JsonOptions = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.KebabCaseLower) },
    };

    public static ComponentRef Ref(string name, object? options = null) => new()
    {
        Name = name,
        Options = options is null ? null : System.Text.Json.JsonSerializer.SerializeToElement(options, JsonOptions),
    };

    /// <summary>Collects pairwise labels from a simulated human with the given options into the context's artifacts.</summary>
    internal static Task Collect(TestStageContext context, int labels, object source, string split = TaskSplits.Train) =>
        new CollectFeedbackStage(new CollectFeedbackOptions { Labels = labels, Split = split, Source = Ref("simulated-human", source), MaxNewTokens = 32 })
            .RunAsync(context, CancellationToken.None);

    public void Dispose() => Policy.Dispose();
}
