using System.Runtime.CompilerServices;
using System.Runtime.Loader;
using System.Text.Json;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Rewards;
using AlignFx.Abstractions.Runs;
using AlignFx.Host.Plugins;
using Microsoft.Extensions.DependencyInjection;

namespace AlignFx.Host.Tests.Plugins;

public class PluginCatalogTests
{
    [Fact]
    public void GoodPluginLoadsIntoItsOwnContextAndSeesTheHostsContractTypes()
    {
        var catalog = new PluginCatalog();
        Assert.Empty(catalog.AddDirectory(TestPluginFolders.Folder("GoodPlugin")));

        LoadedPlugin plugin = Assert.Single(catalog.Plugins);
        Assert.Equal("GoodPlugin", plugin.Name);
        Assert.Equal(["stage/echo", "reward-model/length", "task/counting", "policy/parrot", "stage/random-walk"], catalog.Components.Select(c => $"{c.Kind}/{c.Name}"));
        Assert.All(catalog.Components, c => Assert.Equal("GoodPlugin", c.Plugin));

        ComponentDescriptor echo = catalog.Find(ComponentKinds.Stage, "echo")!;
        AssemblyLoadContext pluginContext = AssemblyLoadContext.GetLoadContext(echo.ImplementationType.Assembly)!;
        Assert.NotSame(AssemblyLoadContext.Default, pluginContext);
        // McMaster.NETCore.Plugins' context, named after the plugin assembly; not collectible (no command unloads a plugin).
        Assert.Equal(("GoodPlugin", "ManagedLoadContext", false), (pluginContext.Name, pluginContext.GetType().Name, pluginContext.IsCollectible));

        // Type identity: the contracts the plugin was compiled against are the host's very types.
        Assert.Contains(typeof(IStage), echo.ImplementationType.GetInterfaces());
        Assert.Same(typeof(ComponentRef), echo.OptionsType.GetProperty("Reward")!.PropertyType);
        Assert.Same(typeof(IStage).Assembly, echo.ImplementationType.GetInterfaces().Single().Assembly);
        Assert.Contains(catalog.Find(ComponentKinds.RewardModel, "length")!.ImplementationType.GetInterfaces(), t => ReferenceEquals(t, typeof(IRewardModel)));

        // Its private dependency came from its own folder, into its own context.
        Assert.Contains(pluginContext.Assemblies, a => a.GetName().Name == "TestPluginHelper");
        Assert.DoesNotContain(AssemblyLoadContext.Default.Assemblies, a => a.GetName().Name == "TestPluginHelper");
    }

    [Fact]
    public async Task GoodPluginsStageRunsWithItsOptionsServicesAndANestedComponent()
    {
        var catalog = new PluginCatalog();
        catalog.AddDirectory(TestPluginFolders.Folder("GoodPlugin"));
        ServiceProvider services = catalog.AddTo(new ServiceCollection()).BuildServiceProvider();
        var factory = new ComponentFactory(catalog, services);
        using JsonDocument options = JsonDocument.Parse("""{ "message": "hi", "repeat": 2, /* nested */ "reward": { "name": "length" }, }""",
            new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });

        IStage stage = factory.Create<IStage>(new ComponentRef { Name = "echo", Options = options.RootElement });
        var context = new FakeStageContext(factory);
        await stage.RunAsync(context, CancellationToken.None);

        EvaluationResults results = context.Artifacts.Get<EvaluationResults>();
        Assert.Equal("HI!HI!", results.Subject);
        Assert.Equal(6, results.Metrics["echo/length"]);
        Assert.Equal(6, results.Metrics["echo/reward"]); // the nested length reward scored the 6-character echo
        Assert.Equal([("echo/length", 6.0, 0L)], context.Logged);
        Assert.Same(catalog, services.GetRequiredService<IComponentCatalog>());
        Assert.Contains(catalog.Services, s => s.ServiceType.Name == "Greeting");
    }

    [Fact]
    public async Task ComponentsWithoutOptionsAreCreatedWithDefaults()
    {
        var catalog = new PluginCatalog();
        catalog.AddDirectory(TestPluginFolders.Folder("GoodPlugin"));
        var factory = new ComponentFactory(catalog, catalog.AddTo(new ServiceCollection()).BuildServiceProvider());

        IStage stage = factory.Create<IStage>(new ComponentRef { Name = "echo" });
        IRewardModel reward = factory.Create<IRewardModel>(new ComponentRef { Name = "length" });

        Assert.Equal("EchoStage", stage.GetType().Name);
        Assert.Equal([3.0], await reward.ScoreAsync([new(new("p", "q"), "abc")], CancellationToken.None));
    }

    [Fact]
    public void TheFactoryNamesWhatExistsWhenAReferenceIsWrong()
    {
        var catalog = new PluginCatalog();
        catalog.AddDirectory(TestPluginFolders.Folder("GoodPlugin"));
        var factory = new ComponentFactory(catalog, catalog.AddTo(new ServiceCollection()).BuildServiceProvider());

        var unknown = Assert.Throws<InvalidOperationException>(() => factory.Create<IStage>(new ComponentRef { Name = "ecco" }));
        Assert.Equal("No stage named 'ecco' is registered; the stage components are: echo, random-walk.", unknown.Message);
        var notAContract = Assert.Throws<InvalidOperationException>(() => factory.Create<string>(new ComponentRef { Name = "echo" }));
        Assert.Equal("System.String is not a component contract; ask for one of the kinds' interfaces.", notAContract.Message);
        using JsonDocument bad = JsonDocument.Parse("""{ "mesage": "typo" }""");
        Assert.ThrowsAny<JsonException>(() => factory.Create<IStage>(new ComponentRef { Name = "echo", Options = bad.RootElement }));
    }

    [Theory]
    [InlineData("ThrowingPlugin", PluginFailure.RegistrationFailed)]
    [InlineData("MissingDependencyPlugin", PluginFailure.MissingDependency)]
    [InlineData("ContractCopyPlugin", PluginFailure.ShipsContractAssembly)]
    [InlineData("IncompatibleContractPlugin", PluginFailure.IncompatibleContractVersion)]
    [InlineData("NoAttributePlugin", PluginFailure.NoModuleAttribute)]
    [InlineData("ShadowingPlugin", PluginFailure.DuplicateComponent)]
    public void ABrokenPluginIsRefusedWithItsCauseWhileTheGoodOneBesideItLoads(string broken, PluginFailure failure)
    {
        string root = TestPluginFolders.Arrange("GoodPlugin", broken);

        var catalog = PluginCatalog.Load([root], includeBuiltIn: false);

        Assert.Equal(["GoodPlugin"], catalog.Plugins.Select(p => p.Name));
        Assert.Equal(["stage/echo", "reward-model/length", "task/counting", "policy/parrot", "stage/random-walk"], catalog.Components.Select(c => $"{c.Kind}/{c.Name}"));
        PluginLoadError error = Assert.Single(catalog.Errors);
        Assert.Equal(broken, error.Plugin);
        Assert.Equal(failure, error.Failure);
        Assert.Equal(Path.Combine(root, broken), error.Folder);
    }

    [Fact]
    public void ErrorMessagesMatchTheGoldenFile()
    {
        var catalog = PluginCatalog.Load([TestPluginFolders.Root], includeBuiltIn: false);

        string actual = string.Join('\n', catalog.Errors.Select(e => e.ToString().Replace(TestPluginFolders.Root, "<testplugins>", StringComparison.Ordinal))) + "\n";
        string golden = Path.Combine(SourceDirectory(), "Golden", "plugin-errors.txt");
        if (Environment.GetEnvironmentVariable("ALIGNFX_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(golden, actual);
        }
        Assert.Equal(File.ReadAllText(golden).ReplaceLineEndings("\n"), actual);
        Assert.Equal(["GoodPlugin"], catalog.Plugins.Select(p => p.Name));
        Assert.Null(catalog.Find(ComponentKinds.RewardModel, "constant")); // registered before its module threw: dropped
    }

    [Fact]
    public void AFolderIsLoadedOnceAndACopyUnderAnotherNameIsRefused()
    {
        string root = TestPluginFolders.Arrange("GoodPlugin");
        TestPluginFolders.CopyFolder(Path.Combine(root, "GoodPlugin"), Path.Combine(root, "GoodPluginAgain"));
        var catalog = new PluginCatalog();

        catalog.AddDirectory(Path.Combine(root, "GoodPlugin"));
        Assert.Empty(catalog.AddDirectory(Path.Combine(root, "GoodPlugin") + Path.DirectorySeparatorChar)); // same folder: skipped
        PluginLoadError again = Assert.Single(catalog.AddDirectory(Path.Combine(root, "GoodPluginAgain")));

        Assert.Equal(PluginFailure.DuplicatePlugin, again.Failure); // the folder's name differs, the assembly inside does not
        Assert.Equal("GoodPlugin", again.Plugin);
        Assert.Single(catalog.Plugins);
    }

    [Fact]
    public void ASecondCopyOfALoadedPluginIsRefused()
    {
        string first = TestPluginFolders.Arrange("GoodPlugin");
        string second = TestPluginFolders.Arrange("GoodPlugin");

        var catalog = PluginCatalog.Load([first, second], includeBuiltIn: false);

        PluginLoadError error = Assert.Single(catalog.Errors);
        Assert.Equal(PluginFailure.DuplicatePlugin, error.Failure);
        Assert.Equal($"a plugin with the same assembly name is already loaded from {Path.Combine(first, "GoodPlugin")}.", error.Message);
    }

    [Fact]
    public void AMissingFolderIsReportedAndNothingElseHappens()
    {
        string missing = Path.Combine(Path.GetTempPath(), "alignfx-no-such-folder-" + Guid.NewGuid().ToString("N"));

        PluginLoadError error = Assert.Single(new PluginCatalog().AddDirectory(missing));

        Assert.Equal(PluginFailure.FolderNotFound, error.Failure);
        Assert.Equal($"plugin '{Path.GetFileName(missing)}' ({missing}) refused: the folder does not exist.", error.ToString());
    }

    private static string SourceDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
