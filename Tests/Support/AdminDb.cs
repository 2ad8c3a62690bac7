using Kodosumi.Shared.Demo;
using Microsoft.Data.Sqlite;

namespace Kodosumi.Tests.Support;

/// <summary>Changes a data set's admin.db as Kodosumi would: with a connection of its own, while the service runs.</summary>
public static class AdminDb
{
    /// <summary>Runs one statement; returns the rows it changed.</summary>
    public static int Execute(string dataDir, string sql, params (string Name, object Value)[] parameters)
    {
        using var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(dataDir, "admin.db"), Pooling = false }.ToString());
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, value) in parameters) cmd.Parameters.AddWithValue(name, value);
        return cmd.ExecuteNonQuery();
    }

    /// <summary>Sets one column of the user's role; the role must exist.</summary>
    public static void SetRole(string dataDir, DemoUser user, string column, object value) =>
        Assert.That(Execute(dataDir, $"UPDATE roles SET {column} = $value WHERE id = $id", ("$value", value), ("$id", user.Id.ToString("N"))),
            Is.EqualTo(1), $"role {user.Name} updated");
}
