using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using AlignFx.Abstractions.Plugins;

namespace AlignFx.Host.Manifests;

/// <summary>
/// Binds a compare manifest: seeds, arms (full pipelines, or the base with a JSON merge patch and/or options set by path
/// applied, or the base with one option set to each value of a sweep), budgets every arm must spend equally, and the
/// metrics to report.
/// </summary>
internal sealed class CompareBinder(IComponentCatalog catalog, SourceMap map, string baseDirectory, List<ManifestError> errors)
{
    private static readonly string[] Fields = ["$schema", "name", "description", "seeds", "plugins", "base", "arms", "sweep", "budgets", "report"];
    private static readonly string[] SweepFields = ["path", "values", "name"];
    private static readonly string[] ArmFields = ["name", "pipeline", "overrides", "set"];
    private const string PatchedNote = " (path in the arm's pipeline after its overrides are applied to base)";
    private const string SetNote = " (path in the arm's pipeline after its 'set' values are applied to base)";
    private const string SweptNote = " (path in the arm's pipeline: base with the sweep's value set)";

    private readonly BindContext _context = new(catalog, map.PositionOf);

    public CompareManifest? Bind(JsonElement root)
    {
        try
        {
            return BindCore(root);
        }
        finally
        {
            errors.AddRange(_context.Errors);
        }
    }

    private CompareManifest? BindCore(JsonElement root)
    {
        const string path = JsonPath.Root;
        if (root.ValueKind != JsonValueKind.Object)
        {
            _context.Error(path, $"expected a compare manifest (an object), found {ManifestLoader.Found(root)}");
            return null;
        }

        ManifestLoader.CheckFields(root, path, Fields, "a compare manifest", _context);
        var name = ManifestLoader.RequiredString(root, path, "name", _context);
        var description = ManifestLoader.OptionalString(root, path, "description", _context);
        ManifestLoader.OptionalString(root, path, "$schema", _context);
        var plugins = ManifestLoader.PluginDirectories(root, path, baseDirectory, _context);
        var seeds = Seeds(root);
        var (baseNode, baseErrors) = Base(root);
        var arms = Arms(root, baseNode, baseErrors);
        var budgets = BudgetsWanted(root);
        var metrics = ReportMetrics(root);
        var baseline = Baseline(root, arms);
        var curves = Curves(root);
        var fits = Fits(root, arms);
        if (arms is not null && budgets is not null)
            CheckBudgets(arms, budgets);

        if (errors.Count > 0 || _context.ErrorCount > 0 || name is null || seeds is null || arms is null || budgets is null || metrics is null)
            return null;
        var allPlugins = plugins.Concat(arms.SelectMany(a => a.Pipeline.PluginDirectories)).Distinct(StringComparer.Ordinal).ToList();
        return new CompareManifest(name, description, seeds, arms, budgets, metrics, allPlugins) { Baseline = baseline ?? arms[0].Name, Curves = curves, Fits = fits };
    }

    private List<int>? Seeds(JsonElement root)
    {
        const string path = "$.seeds";
        if (!root.TryGetProperty("seeds", out var seeds))
        {
            _context.Error(JsonPath.Root, "missing required field 'seeds' (the seeds every arm runs with)");
            return null;
        }

        if (seeds.ValueKind != JsonValueKind.Array)
        {
            _context.Error(path, $"expected an array of integers, found {ManifestLoader.Found(seeds)}");
            return null;
        }

        if (seeds.GetArrayLength() == 0)
        {
            _context.Error(path, "must list at least one seed");
            return null;
        }

        var result = new List<int>();
        var ok = true;
        var i = 0;
        foreach (var item in seeds.EnumerateArray())
        {
            var itemPath = JsonPath.Index(path, i++);
            if (ManifestLoader.Integer(item, itemPath, _context) is not { } seed)
                ok = false;
            else if (result.Contains(seed))
                ok = Fail(itemPath, $"seed {seed} is listed more than once");
            else
                result.Add(seed);
        }

        return ok ? result : null;
    }

    /// <summary>The base pipeline as written, and the errors it has on its own (reported once, at <c>$.base</c>).</summary>
    private (JsonNode? Node, HashSet<(string, string)> Errors) Base(JsonElement root)
    {
        var baseErrors = new HashSet<(string, string)>();
        if (!root.TryGetProperty("base", out var element))
            return (null, baseErrors);
        if (element.ValueKind != JsonValueKind.Object)
        {
            _context.Error("$.base", $"expected a pipeline manifest (an object), found {ManifestLoader.Found(element)}");
            return (null, baseErrors);
        }

        var context = new BindContext(catalog, map.PositionOf);
        ManifestLoader.BindPipeline(element, "$.base", baseDirectory, context, defaultName: "base");
        foreach (var error in context.Errors)
        {
            baseErrors.Add((JsonPath.Rebase(error.Path, "$.base", "$"), error.Message));
            _context.Errors.Add(error);
        }

        return (ManifestLoader.ToNode(element), baseErrors);
    }

    private List<CompareArm>? Arms(JsonElement root, JsonNode? baseNode, HashSet<(string, string)> baseErrors)
    {
        const string path = "$.arms";
        var hasSweep = root.TryGetProperty("sweep", out var sweep);
        if (!root.TryGetProperty("arms", out var arms))
        {
            if (hasSweep)
                return Swept(sweep, baseNode, baseErrors, [], new Dictionary<string, string>(StringComparer.Ordinal));
            _context.Error(JsonPath.Root, "missing required field 'arms' (the pipelines to compare) or 'sweep' (arms made from base by setting one option to each of a list of values)");
            return null;
        }

        if (arms.ValueKind != JsonValueKind.Array)
        {
            _context.Error(path, $"expected an array of arms, found {ManifestLoader.Found(arms)}");
            return null;
        }

        if (arms.GetArrayLength() == 0)
        {
            _context.Error(path, "must list at least one arm");
            return null;
        }

        var result = new List<CompareArm>();
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        var ok = true;
        var i = 0;
        foreach (var arm in arms.EnumerateArray())
        {
            var armPath = JsonPath.Index(path, i++);
            if (arm.ValueKind != JsonValueKind.Object)
            {
                ok = Fail(armPath, $"expected an arm (an object with 'name' and 'pipeline' or 'overrides'), found {ManifestLoader.Found(arm)}");
                continue;
            }

            ManifestLoader.CheckFields(arm, armPath, ArmFields, "an arm", _context);
            var name = ManifestLoader.RequiredString(arm, armPath, "name", _context);
            if (name is not null)
            {
                if (names.TryGetValue(name, out var first))
                    ok = Fail(JsonPath.Property(armPath, "name"), $"duplicate arm name '{name}' (also used by {first})");
                else
                    names[name] = armPath;
            }

            var hasPipeline = arm.TryGetProperty("pipeline", out var pipeline);
            var hasOverrides = arm.TryGetProperty("overrides", out var overrides);
            var hasSet = arm.TryGetProperty("set", out var set);
            PipelineManifest? bound = null;
            if (hasPipeline && (hasOverrides || hasSet))
            {
                ok = Fail(armPath, $"give either 'pipeline' or '{(hasOverrides ? "overrides" : "set")}', not both");
            }
            else if (hasPipeline)
            {
                bound = ManifestLoader.BindPipeline(pipeline, JsonPath.Property(armPath, "pipeline"), baseDirectory, _context, name ?? "arm");
            }
            else if (hasOverrides || hasSet)
            {
                bound = Derived(armPath, hasOverrides ? overrides : null, hasSet ? set : null, baseNode, baseErrors, name ?? "arm");
            }
            else
            {
                ok = Fail(armPath, "missing 'pipeline' (a full pipeline), 'overrides' (a JSON merge patch applied to base) or 'set' (options of base set by path)");
            }

            if (bound is null || name is null)
                ok = false;
            else
                result.Add(new CompareArm(name, bound, new Dictionary<string, double>()));
        }

        if (hasSweep)
            return Swept(sweep, baseNode, baseErrors, result, names) is { } all && ok ? all : null;
        return ok ? result : null;
    }

    /// <summary>
    /// Adds the arms of <c>sweep</c> to <paramref name="arms"/>: for each value, base with the value set at the sweep's
    /// path, named <c>name=value</c> (name: the sweep's <c>name</c>, else the path's last property).
    /// </summary>
    private List<CompareArm>? Swept(JsonElement sweep, JsonNode? baseNode, HashSet<(string, string)> baseErrors,
        List<CompareArm> arms, Dictionary<string, string> names)
    {
        const string path = "$.sweep";
        const string valuesPath = "$.sweep.values";
        if (sweep.ValueKind != JsonValueKind.Object)
        {
            Fail(path, $"expected a sweep (an object with 'path' and 'values'), found {ManifestLoader.Found(sweep)}");
            return null;
        }

        ManifestLoader.CheckFields(sweep, path, SweepFields, "a sweep", _context);
        var pathText = ManifestLoader.RequiredString(sweep, path, "path", _context);
        var label = ManifestLoader.OptionalString(sweep, path, "name", _context);
        if (!sweep.TryGetProperty("values", out var values))
        {
            Fail(path, "missing required field 'values' (the values the option takes, one arm each)");
            return null;
        }

        if (values.ValueKind != JsonValueKind.Array || values.GetArrayLength() == 0)
        {
            Fail(valuesPath, $"expected a non-empty array of values, found {ManifestLoader.Found(values)}");
            return null;
        }

        if (pathText is null)
            return null;
        if (OptionPath.Parse(pathText, out var pathError) is not { } optionPath)
        {
            Fail(JsonPath.Property(path, "path"), pathError!);
            return null;
        }

        if (!map.Contains("$.base"))
        {
            Fail(path, "a sweep needs a 'base' pipeline to set its values in");
            return null;
        }

        if (baseNode is null)
            return null;
        var ok = true;
        var i = 0;
        foreach (var value in values.EnumerateArray())
        {
            var armPath = JsonPath.Index(valuesPath, i++);
            var valueNode = ManifestLoader.ToNode(value);
            var name = $"{label ?? optionPath.LastProperty}={(value.ValueKind == JsonValueKind.String ? value.GetString() : valueNode!.ToJsonString())}";
            if (names.TryGetValue(name, out var first))
            {
                ok = Fail(armPath, $"the sweep's arm '{name}' has the name of {first}; give the sweep another 'name'");
                continue;
            }

            names[name] = armPath;
            if (optionPath.SetIn(baseNode, valueNode, out var setError) is not { } swept)
            {
                ok = Fail(JsonPath.Property(path, "path"), setError!);
                break;
            }

            var bound = BindDerived(swept, armPath, armPath, SweptNote, baseErrors, name);
            if (bound is null)
                ok = false;
            else
                arms.Add(new CompareArm(name, bound, new Dictionary<string, double>()));
        }

        return ok ? arms : null;
    }

    /// <summary>
    /// The arm's pipeline: base with <paramref name="overrides"/> (a JSON merge patch) applied, then each of
    /// <paramref name="set"/>'s values put at its path (<c>{ "$.stages[1].source": "gold" }</c>), in the order written.
    /// </summary>
    private PipelineManifest? Derived(string armPath, JsonElement? overrides, JsonElement? set, JsonNode? baseNode, HashSet<(string, string)> baseErrors, string name)
    {
        var overridesPath = JsonPath.Property(armPath, "overrides");
        var setPath = JsonPath.Property(armPath, "set");
        var ok = true;
        if (overrides is { ValueKind: not JsonValueKind.Object } patch)
            ok = Fail(overridesPath, $"expected a JSON merge patch (an object) to apply to base, found {ManifestLoader.Found(patch)}");
        if (set is { ValueKind: not JsonValueKind.Object } values)
            ok = Fail(setPath, $"expected an object of option paths and values, such as {{ \"$.stages[1].source\": \"gold\" }}, found {ManifestLoader.Found(values)}");
        if (!ok)
            return null;
        if (!map.Contains("$.base"))
        {
            Fail(overrides is null ? setPath : overridesPath, $"an arm with {(overrides is null ? "'set'" : "overrides")} needs a 'base' pipeline to apply them to");
            return null;
        }

        if (baseNode is null)
            return null;
        var derived = overrides is { } o ? JsonMergePatch.Apply(baseNode, ManifestLoader.ToNode(o)) : baseNode;
        if (set is { } s)
        {
            foreach (var member in s.EnumerateObject())
            {
                var memberPath = JsonPath.Property(setPath, member.Name);
                if (OptionPath.Parse(member.Name, out var parseError) is not { } optionPath)
                {
                    ok = Fail(memberPath, parseError!);
                    continue;
                }

                if (derived is null)
                {
                    ok = Fail(memberPath, "the overrides removed base; there is nothing to set options in");
                    break;
                }

                if (optionPath.SetIn(derived, ManifestLoader.ToNode(member.Value), out var setError) is not { } next)
                {
                    ok = Fail(memberPath, setError!);
                    continue;
                }

                derived = next;
            }
        }

        if (!ok)
            return null;
        // Paths in the derived pipeline sort where what produced them is written.
        return BindDerived(derived, armPath, overrides is null ? setPath : overridesPath, set is null ? PatchedNote : SetNote, baseErrors, name);
    }

    /// <summary>
    /// Binds a pipeline derived from base (patched or swept), reporting its errors under <paramref name="armPath"/>,
    /// sorted at <paramref name="positionPath"/>'s place in the file, and leaving out problems base has on its own.
    /// </summary>
    private PipelineManifest? BindDerived(JsonNode? derived, string armPath, string positionPath, string note, HashSet<(string, string)> baseErrors, string name)
    {
        var context = new BindContext(catalog, p => map.PositionOf(JsonPath.Rebase(p, armPath, positionPath)), note);
        var pipeline = ManifestLoader.BindPipeline(ManifestLoader.ToElement(derived), armPath, baseDirectory, context, name);
        // A problem the base already has is reported once, at $.base, not again for every arm built on it.
        errors.AddRange(context.Reported(e => !baseErrors.Contains((JsonPath.Rebase(e.Path, armPath, "$"), e.Message))));
        return context.ErrorCount == 0 ? pipeline : null;
    }

    /// <summary>The budgets named: an amount every arm must spend, or <c>true</c> (null here): equal across arms, any amount.</summary>
    private Dictionary<string, double?>? BudgetsWanted(JsonElement root)
    {
        var result = new Dictionary<string, double?>(StringComparer.Ordinal);
        if (!root.TryGetProperty("budgets", out var budgets))
            return result;
        const string path = "$.budgets";
        if (budgets.ValueKind != JsonValueKind.Object)
        {
            _context.Error(path, $"expected an object of budget amounts, found {ManifestLoader.Found(budgets)}");
            return null;
        }

        var known = KnownBudgets(catalog);
        var ok = true;
        foreach (var member in budgets.EnumerateObject())
        {
            var memberPath = JsonPath.Property(path, member.Name);
            if (!known.Contains(member.Name))
            {
                var hint = NameSuggestions.DidYouMean(member.Name, known);
                ok = Fail(memberPath, hint is not null
                    ? $"unknown budget '{member.Name}'; did you mean '{hint}'?"
                    : $"unknown budget '{member.Name}'; the budgets are: {string.Join(", ", NameSuggestions.ClosestFirst(member.Name, known))}");
            }
            else if (member.Value.ValueKind == JsonValueKind.True)
            {
                result[member.Name] = null;
            }
            else if (member.Value.ValueKind != JsonValueKind.Number)
            {
                ok = Fail(memberPath, $"expected an amount (a number) or true (equal across arms), found {ManifestLoader.Found(member.Value)}");
            }
            else if (member.Value.GetDouble() < 0)
            {
                ok = Fail(memberPath, "must be at least 0");
            }
            else
            {
                result[member.Name] = member.Value.GetDouble();
            }
        }

        return ok ? result : null;
    }

    private void CheckBudgets(List<CompareArm> arms, Dictionary<string, double?> budgets)
    {
        for (var a = 0; a < arms.Count; a++)
        {
            var spend = budgets.Keys.ToDictionary(b => b, b => BudgetSpend.Of(arms[a].Pipeline, b).Sum(s => s.Amount));
            arms[a] = arms[a] with { BudgetSpend = spend };
        }

        foreach (var (budget, stated) in budgets)
        {
            if (stated is { } amount)
            {
                for (var a = 0; a < arms.Count; a++)
                {
                    var spent = arms[a].BudgetSpend[budget];
                    if (spent != amount)
                        Fail($"$.arms[{a}]", $"arm '{arms[a].Name}' spends {Format(spent)} of budget '{budget}' ({Breakdown(arms[a].Pipeline, budget)}), but $.budgets.{budget} is {Format(amount)}");
                }
            }
            else if (arms.Select(a => a.BudgetSpend[budget]).Distinct().Count() > 1)
            {
                Fail($"$.budgets.{budget}", $"every arm must spend the same amount of budget '{budget}', but "
                    + string.Join(", ", arms.Select(a => $"'{a.Name}' spends {Format(a.BudgetSpend[budget])}")));
            }
        }
    }

    private static string Breakdown(PipelineManifest pipeline, string budget)
    {
        var parts = BudgetSpend.Of(pipeline, budget).Where(s => s.Amount != 0).Select(s => $"stage '{s.StageId}' {Format(s.Amount)}").ToList();
        return parts.Count == 0 ? "no stage spends it" : string.Join(" + ", parts);
    }

    private List<string>? ReportMetrics(JsonElement root)
    {
        if (!root.TryGetProperty("report", out var report))
            return [];
        const string path = "$.report";
        if (report.ValueKind != JsonValueKind.Object)
            return Fail(path, $"expected an object, found {ManifestLoader.Found(report)}") ? [] : null;
        ManifestLoader.CheckFields(report, path, ["metrics", "baseline", "curves", "fits"], "a report", _context);
        if (!report.TryGetProperty("metrics", out var metrics))
            return [];
        var metricsPath = JsonPath.Property(path, "metrics");
        if (metrics.ValueKind != JsonValueKind.Array)
            return Fail(metricsPath, $"expected an array of metric names, found {ManifestLoader.Found(metrics)}") ? [] : null;
        var result = new List<string>();
        var ok = true;
        var i = 0;
        foreach (var metric in metrics.EnumerateArray())
        {
            var itemPath = JsonPath.Index(metricsPath, i++);
            if (metric.ValueKind != JsonValueKind.String)
                ok = Fail(itemPath, $"expected a metric name (a string), found {ManifestLoader.Found(metric)}");
            else if (metric.GetString() is not { Length: > 0 } name)
                ok = Fail(itemPath, "must not be empty");
            else
                result.Add(name);
        }

        return ok ? result : null;
    }

    /// <summary><c>report.curves</c>: metrics to plot against another metric; null when absent or wrong (reported).</summary>
    private CompareCurves? Curves(JsonElement root)
    {
        if (!root.TryGetProperty("report", out var report) || report.ValueKind != JsonValueKind.Object
            || !report.TryGetProperty("curves", out var curves))
            return null;
        const string path = "$.report.curves";
        if (curves.ValueKind != JsonValueKind.Object)
        {
            Fail(path, $"expected an object with 'x' (a metric) and 'y' (metrics to plot against it), found {ManifestLoader.Found(curves)}");
            return null;
        }

        ManifestLoader.CheckFields(curves, path, ["x", "y"], "report curves", _context);
        var x = ManifestLoader.RequiredString(curves, path, "x", _context);
        if (!curves.TryGetProperty("y", out var y))
        {
            Fail(path, "missing required field 'y' (the metrics to plot against 'x')");
            return null;
        }

        const string yPath = "$.report.curves.y";
        if (y.ValueKind != JsonValueKind.Array || y.GetArrayLength() == 0)
        {
            Fail(yPath, $"expected a non-empty array of metric names, found {ManifestLoader.Found(y)}");
            return null;
        }

        var names = new List<string>();
        var i = 0;
        foreach (var item in y.EnumerateArray())
        {
            var itemPath = JsonPath.Index(yPath, i++);
            if (item.ValueKind != JsonValueKind.String)
                Fail(itemPath, $"expected a metric name (a string), found {ManifestLoader.Found(item)}");
            else if (item.GetString() is not { Length: > 0 } name)
                Fail(itemPath, "must not be empty");
            else
                names.Add(name);
        }

        return x is null || names.Count != y.GetArrayLength() ? null : new CompareCurves(x, names);
    }

    /// <summary><c>report.fits</c>: Gao et al. fits over arms; empty when absent, and what is wrong is reported.</summary>
    private List<CompareFit> Fits(JsonElement root, IReadOnlyList<CompareArm>? arms)
    {
        if (!root.TryGetProperty("report", out var report) || report.ValueKind != JsonValueKind.Object
            || !report.TryGetProperty("fits", out var fits))
            return [];
        const string path = "$.report.fits";
        if (fits.ValueKind != JsonValueKind.Array)
        {
            Fail(path, $"expected an array of fits ({{ \"form\": \"rl\", \"x\": \"eval/sqrt_kl\", \"y\": \"gold/reward_mean\" }}), found {ManifestLoader.Found(fits)}");
            return [];
        }

        var result = new List<CompareFit>();
        var i = 0;
        foreach (var fit in fits.EnumerateArray())
        {
            var fitPath = JsonPath.Index(path, i++);
            if (fit.ValueKind != JsonValueKind.Object)
            {
                Fail(fitPath, $"expected an object with 'form', 'x', 'y' and optionally 'arms', found {ManifestLoader.Found(fit)}");
                continue;
            }
            ManifestLoader.CheckFields(fit, fitPath, ["form", "x", "y", "arms"], "a fit", _context);
            var form = ManifestLoader.RequiredString(fit, fitPath, "form", _context);
            if (form is not null && !CompareFitForms.All.Contains(form))
            {
                Fail(JsonPath.Property(fitPath, "form"), $"unknown form '{form}'; the forms are: {string.Join(", ", CompareFitForms.All)}");
                form = null;
            }
            var x = ManifestLoader.RequiredString(fit, fitPath, "x", _context);
            var y = ManifestLoader.RequiredString(fit, fitPath, "y", _context);
            var fitArms = FitArms(fit, fitPath, arms);
            if (form is not null && x is { Length: > 0 } && y is { Length: > 0 } && fitArms is not null)
                result.Add(new CompareFit(form, x, y, fitArms));
        }
        return result;
    }

    /// <summary>A fit's <c>arms</c>: names of the compare's arms (every arm when absent); null when wrong (reported).</summary>
    private List<string>? FitArms(JsonElement fit, string fitPath, IReadOnlyList<CompareArm>? arms)
    {
        if (!fit.TryGetProperty("arms", out var named))
            return arms is null ? null : [.. arms.Select(a => a.Name)];
        var armsPath = JsonPath.Property(fitPath, "arms");
        if (named.ValueKind != JsonValueKind.Array)
        {
            Fail(armsPath, $"expected an array of arm names, found {ManifestLoader.Found(named)}");
            return null;
        }
        if (named.GetArrayLength() == 0)
        {
            Fail(armsPath, "must name at least one arm (leave 'arms' out to fit every arm)");
            return null;
        }
        var names = new List<string>();
        var ok = true;
        var i = 0;
        foreach (var item in named.EnumerateArray())
        {
            var itemPath = JsonPath.Index(armsPath, i++);
            if (item.ValueKind != JsonValueKind.String)
                ok = Fail(itemPath, $"expected an arm's name (a string), found {ManifestLoader.Found(item)}");
            else if (arms is not null && !arms.Any(a => a.Name == item.GetString()))
                ok = Fail(itemPath, $"unknown arm '{item.GetString()}'; the arms are: {string.Join(", ", NameSuggestions.ClosestFirst(item.GetString()!, [.. arms.Select(a => a.Name)]))}");
            else if (names.Contains(item.GetString()!))
                ok = Fail(itemPath, $"arm '{item.GetString()}' is named twice");
            else
                names.Add(item.GetString()!);
        }
        // Manifest order, so the report's rows do not depend on how the list was written.
        return ok && arms is not null ? [.. arms.Select(a => a.Name).Where(names.Contains)] : null;
    }

    /// <summary>The arm the report tests every other arm against (<c>report.baseline</c>); null: the first arm.</summary>
    private string? Baseline(JsonElement root, IReadOnlyList<CompareArm>? arms)
    {
        if (!root.TryGetProperty("report", out var report) || report.ValueKind != JsonValueKind.Object
            || !report.TryGetProperty("baseline", out var baseline))
            return null;
        const string path = "$.report.baseline";
        if (baseline.ValueKind != JsonValueKind.String)
        {
            Fail(path, $"expected an arm's name (a string), found {ManifestLoader.Found(baseline)}");
            return null;
        }
        var name = baseline.GetString()!;
        if (arms is not null && !arms.Any(a => a.Name == name))
            Fail(path, $"unknown arm '{name}'; the arms are: {string.Join(", ", NameSuggestions.ClosestFirst(name, [.. arms.Select(a => a.Name)]))}");
        return name;
    }

    /// <summary>Budget names a compare may match: the standard ones and any a registered options class spends.</summary>
    internal static HashSet<string> KnownBudgets(IComponentCatalog catalog)
    {
        var result = new HashSet<string>(StringComparer.Ordinal) { Budgets.Labels, Budgets.OptimizationSteps };
        var visited = new HashSet<Type>();
        foreach (var component in catalog.Components)
            Collect(component.OptionsType);
        return result;

        void Collect(Type type)
        {
            if (!visited.Add(type))
                return;
            foreach (var property in OptionsBinder.OptionProperties(type).Values)
            {
                if (property.GetCustomAttribute<BudgetAttribute>() is { } budget)
                    result.Add(budget.Name);
                if (OptionsBinder.IsOptionsClass(property.PropertyType) && property.PropertyType != typeof(ComponentRef))
                    Collect(property.PropertyType);
            }
        }
    }

    private bool Fail(string path, string message)
    {
        _context.Error(path, message);
        return false;
    }

    private static string Format(double value) => value.ToString(CultureInfo.InvariantCulture);
}
