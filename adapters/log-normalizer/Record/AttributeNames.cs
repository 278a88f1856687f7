namespace Sidecars.LogNormalizer.Record;

/// <summary>The attribute keys, written once: the shared OpenTelemetry / ECS names where one exists.</summary>
internal static class AttributeNames
{
    // The line and where it came from.
    public const string LogFilePath = "log.file.path";
    public const string LogFormat = "log.format";
    public const string LogIostream = "log.iostream";
    public const string LogRecordOriginal = "log.record.original";
    public const string ParseError = "log.parse_error";
    public const string Truncated = "log.truncated";
    public const string LogLogger = "log.logger";

    // HTTP access logs.
    public const string HttpRequestMethod = "http.request.method";
    public const string UrlPath = "url.path";
    public const string UrlQuery = "url.query";
    public const string HttpResponseStatusCode = "http.response.status_code";
    public const string HttpResponseBodySize = "http.response.body.size";
    public const string ClientAddress = "client.address";
    public const string UserAgentOriginal = "user_agent.original";
    public const string HttpRequestHeaderReferer = "http.request.header.referer";
    public const string NetworkProtocolName = "network.protocol.name";
    public const string NetworkProtocolVersion = "network.protocol.version";
    public const string UserName = "user.name";
    public const string ServerAddress = "server.address";

    // Exceptions (multi-line stack traces).
    public const string ExceptionType = "exception.type";
    public const string ExceptionMessage = "exception.message";
    public const string ExceptionStacktrace = "exception.stacktrace";

    // Processes and threads.
    public const string ProcessPid = "process.pid";
    public const string ThreadId = "thread.id";
    public const string ThreadName = "thread.name";

    // Syslog.
    public const string SyslogFacility = "syslog.facility";
    public const string SyslogSeverity = "syslog.severity";
    public const string SyslogAppName = "syslog.appname";
    public const string SyslogMsgId = "syslog.msgid";
    public const string SyslogVersion = "syslog.version";
    public const string HostName = "host.name";

    // Redis.
    public const string RedisRole = "redis.role";
    public const string DbSystem = "db.system";
    public const string DbStatement = "db.query.text";
    public const string RedisSlowlogId = "redis.slowlog.id";
    public const string RedisSlowlogDurationUs = "redis.slowlog.duration_us";
    public const string ClientName = "redis.client.name";
}
