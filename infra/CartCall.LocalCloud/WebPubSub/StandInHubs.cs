namespace CartCall.LocalCloud.WebPubSub;

/// <summary>
/// Who is connected to which hub, as which user, in which groups. One lock for everything: a stand-in serves a
/// handful of connections, and a single lock keeps group/user membership consistent without cleverness.
/// </summary>
internal sealed class StandInHubs
{
    private readonly Lock _gate = new();

    // Hub names are case-insensitive in the service.
    private readonly Dictionary<string, Dictionary<string, StandInConnection>> _hubs = new(StringComparer.OrdinalIgnoreCase);

    public void Add(StandInConnection connection, IEnumerable<string> groups)
    {
        lock (_gate)
        {
            if (!_hubs.TryGetValue(connection.Hub, out var connections))
            {
                _hubs[connection.Hub] = connections = new Dictionary<string, StandInConnection>(StringComparer.Ordinal);
            }

            connections[connection.ConnectionId] = connection;
            connection.Groups.UnionWith(groups);
        }
    }

    public void Remove(StandInConnection connection)
    {
        lock (_gate)
        {
            if (_hubs.TryGetValue(connection.Hub, out var connections))
            {
                connections.Remove(connection.ConnectionId);
            }
        }
    }

    public IReadOnlyList<StandInConnection> All(string hub, IReadOnlyCollection<string> excluded) =>
        Select(hub, c => !excluded.Contains(c.ConnectionId));

    public IReadOnlyList<StandInConnection> User(string hub, string userId) =>
        Select(hub, c => c.UserId == userId);

    public IReadOnlyList<StandInConnection> Group(string hub, string group, IReadOnlyCollection<string> excluded) =>
        Select(hub, c => c.Groups.Contains(group) && !excluded.Contains(c.ConnectionId));

    public StandInConnection? Connection(string hub, string connectionId)
    {
        lock (_gate)
        {
            return _hubs.TryGetValue(hub, out var connections) && connections.TryGetValue(connectionId, out var c) ? c : null;
        }
    }

    public IReadOnlyList<StandInConnection> Everyone()
    {
        lock (_gate)
        {
            return [.. _hubs.Values.SelectMany(c => c.Values)];
        }
    }

    /// <summary>Adds the connection to the group; false when it was already in it.</summary>
    public bool Join(StandInConnection connection, string group)
    {
        lock (_gate)
        {
            return connection.Groups.Add(group);
        }
    }

    public bool Leave(StandInConnection connection, string group)
    {
        lock (_gate)
        {
            return connection.Groups.Remove(group);
        }
    }

    public void LeaveAll(StandInConnection connection)
    {
        lock (_gate)
        {
            connection.Groups.Clear();
        }
    }

    /// <summary>
    /// Adds the user's current connections to the group. Connections the user opens later are not added: whether the
    /// service remembers user-group membership for future connections is not documented, and not remembering is the
    /// conservative choice (code that relies on it would break here first).
    /// </summary>
    public int AddUserToGroup(string hub, string userId, string group) =>
        ForUser(hub, userId, c => c.Groups.Add(group));

    public int RemoveUserFromGroup(string hub, string userId, string group) =>
        ForUser(hub, userId, c => c.Groups.Remove(group));

    public int RemoveUserFromAllGroups(string hub, string userId) =>
        ForUser(hub, userId, c => c.Groups.Clear());

    public bool HasPermission(StandInConnection connection, string permission, string group)
    {
        lock (_gate)
        {
            return connection.Roles.Contains(permission) || connection.Roles.Contains(permission + "." + group);
        }
    }

    public bool HasRole(StandInConnection connection, string role)
    {
        lock (_gate)
        {
            return connection.Roles.Contains(role);
        }
    }

    public void SetRole(StandInConnection connection, string role, bool granted)
    {
        lock (_gate)
        {
            _ = granted ? connection.Roles.Add(role) : connection.Roles.Remove(role);
        }
    }

    private int ForUser(string hub, string userId, Action<StandInConnection> change)
    {
        lock (_gate)
        {
            var count = 0;
            if (_hubs.TryGetValue(hub, out var connections))
            {
                foreach (var c in connections.Values.Where(c => c.UserId == userId))
                {
                    change(c);
                    count++;
                }
            }

            return count;
        }
    }

    private List<StandInConnection> Select(string hub, Func<StandInConnection, bool> predicate)
    {
        lock (_gate)
        {
            return _hubs.TryGetValue(hub, out var connections) ? [.. connections.Values.Where(predicate)] : [];
        }
    }
}
