using YamlDotNet.RepresentationModel;

namespace Kodosumi.Tests.Deploy;

/// <summary>A parsed YAML node read by path, for checking deployment files: <c>node["spec"]["template"]</c>.</summary>
public sealed class Yaml(YamlNode? node)
{
    public static IReadOnlyList<Yaml> LoadAll(string path)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(path);
        stream.Load(reader);
        return stream.Documents.Select(d => new Yaml(d.RootNode)).ToList();
    }

    public Yaml this[string key] =>
        new(node is YamlMappingNode map && map.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : null);

    public bool Exists => node is not null;

    public string? Text => (node as YamlScalarNode)?.Value;

    public IReadOnlyList<Yaml> Items => node is YamlSequenceNode list ? list.Children.Select(c => new Yaml(c)).ToList() : [];

    /// <summary>The scalar items of a list: <c>[ALL]</c> → "ALL".</summary>
    public IReadOnlyList<string?> Texts => Items.Select(i => i.Text).ToList();

    public override string ToString() => node?.ToString() ?? "(missing)";
}
