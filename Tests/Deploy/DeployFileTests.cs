using System.Text.RegularExpressions;
using Kodosumi.Tests.Support;

namespace Kodosumi.Tests.Deploy;

/// <summary>deploy/'s Kubernetes manifest and Compose file, parsed, hold the settings a careful deployment needs.</summary>
[Category("Unit")]
public partial class DeployFileTests
{
    static string DeployFile(string name) => RepositoryFiles.PathOf("deploy", name);

    static IReadOnlyList<Yaml> Kubernetes => Yaml.LoadAll(DeployFile("kubernetes.yaml"));

    static Yaml Deployment => Kubernetes.Single(d => d["kind"].Text == "Deployment");

    static Yaml Indexer => Deployment["spec"]["template"]["spec"]["containers"].Items.Single(c => c["name"].Text == "indexer");

    [Test]
    public void Every_probe_of_the_sidecar_is_the_liveness_endpoint_so_a_building_index_keeps_Kodosumis_pod_ready()
    {
        foreach (var probe in new[] { "startupProbe", "readinessProbe", "livenessProbe" })
            Assert.That(Indexer[probe]["httpGet"]["path"].Text, Is.EqualTo("/health/live"), probe);
    }

    [Test]
    public void The_pod_runs_with_the_runtime_default_seccomp_profile_and_the_sidecar_without_privileges()
    {
        var pod = Deployment["spec"]["template"]["spec"];
        var security = Indexer["securityContext"];
        Assert.Multiple(() =>
        {
            Assert.That(pod["securityContext"]["seccompProfile"]["type"].Text, Is.EqualTo("RuntimeDefault"));
            Assert.That(security["runAsNonRoot"].Text, Is.EqualTo("true"));
            Assert.That(security["readOnlyRootFilesystem"].Text, Is.EqualTo("true"));
            Assert.That(security["allowPrivilegeEscalation"].Text, Is.EqualTo("false"));
            Assert.That(security["capabilities"]["drop"].Texts, Does.Contain("ALL"));
            Assert.That(Indexer["resources"]["limits"]["memory"].Exists, Is.True, "a memory limit");
        });
    }

    [Test]
    public void The_index_is_on_a_persistent_volume_claim_and_read_write_once_volumes_are_rolled_out_by_recreating()
    {
        var volumes = Deployment["spec"]["template"]["spec"]["volumes"].Items;
        var indexMount = Indexer["volumeMounts"].Items.Single(m => m["mountPath"].Text == "/var/lib/kodosumi-indexer");
        var indexVolume = volumes.Single(v => v["name"].Text == indexMount["name"].Text);
        var claimName = indexVolume["persistentVolumeClaim"]["claimName"].Text;
        var claim = Kubernetes.SingleOrDefault(d => d["kind"].Text == "PersistentVolumeClaim" && d["metadata"]["name"].Text == claimName);
        var dataMount = Indexer["volumeMounts"].Items.Single(m => m["mountPath"].Text == "/data");
        var readWriteOnce = volumes.Select(v => v["persistentVolumeClaim"]["claimName"].Text).OfType<string>()
            .Select(name => Kubernetes.Single(d => d["kind"].Text == "PersistentVolumeClaim" && d["metadata"]["name"].Text == name))
            .Any(c => c["spec"]["accessModes"].Texts.Contains("ReadWriteOnce"));
        Assert.Multiple(() =>
        {
            Assert.That(claim, Is.Not.Null, $"the index's claim '{claimName}' is in the manifest");
            Assert.That(readWriteOnce, Is.True);
            Assert.That(Deployment["spec"]["strategy"]["type"].Text, Is.EqualTo("Recreate"), "a rolling update would wait for a ReadWriteOnce volume held by the old pod");
            Assert.That(dataMount["readOnly"].Text, Is.EqualTo("true"), "Kodosumi's data is only read");
        });
    }

    [Test]
    public void The_Compose_indexer_is_read_only_without_capabilities_or_new_privileges_with_a_tmpfs_and_a_memory_limit()
    {
        var indexer = Yaml.LoadAll(DeployFile("docker-compose.yml")).Single()["services"]["indexer"];
        Assert.Multiple(() =>
        {
            Assert.That(indexer["read_only"].Text, Is.EqualTo("true"));
            Assert.That(indexer["cap_drop"].Texts, Does.Contain("ALL"));
            Assert.That(indexer["security_opt"].Texts, Does.Contain("no-new-privileges:true"));
            Assert.That(indexer["tmpfs"].Texts, Does.Contain("/tmp"));
            Assert.That(indexer["mem_limit"].Text ?? indexer["deploy"]["resources"]["limits"]["memory"].Text, Is.Not.Null.And.Not.Empty);
            Assert.That(indexer["volumes"].Texts, Has.Some.EndsWith(":/data:ro"), "Kodosumi's data is only read");
        });
    }

    [Test]
    public void The_Dockerfiles_default_version_is_the_one_in_Directory_Build_props()
    {
        var dockerfile = File.ReadAllText(RepositoryFiles.PathOf("Dockerfile"));
        var defaults = VersionArgument().Matches(dockerfile).Select(m => m.Groups[1].Value).ToList();
        Assert.That(defaults, Is.Not.Empty.And.All.EqualTo(RepositoryFiles.Version));
    }

    [GeneratedRegex(@"^ARG VERSION=(\S+)", RegexOptions.Multiline)]
    private static partial Regex VersionArgument();
}
