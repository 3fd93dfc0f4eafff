using AlignFx.Abstractions.Plugins;
using AlignFx.Tasks;
using AlignFx.Tasks.Arithmetic;

[assembly: AlignFxPlugin(typeof(TasksModule))]

namespace AlignFx.Tasks;

/// <summary>Registers the built-in tasks.</summary>
public sealed class TasksModule : IPluginModule
{
    /// <inheritdoc />
    public void Register(IPluginBuilder builder) =>
        builder.AddTask<ArithmeticTask, ArithmeticOptions>("arithmetic",
            "Arithmetic questions, some with a user's hint; gold answers, labelled response features and a deliberately imperfect pretraining corpus.");
}
