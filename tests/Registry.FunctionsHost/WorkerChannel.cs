using System.Collections.Concurrent;
using System.Threading.Channels;
using Grpc.Core;
using Registry.FunctionsHost.Rpc;

namespace Registry.FunctionsHost;

/// <summary>
/// The host's side of the worker protocol: the init handshake, worker indexing, the load of every function, then
/// invocations and the worker's logs. One stream per worker; messages to the worker go through one writer.
/// </summary>
public sealed partial class WorkerChannel(IConfiguration configuration, ILogger<WorkerChannel> logger) : FunctionRpc.FunctionRpcBase
{
    private readonly Channel<StreamingMessage> _outbound = Channel.CreateUnbounded<StreamingMessage>(new() { SingleReader = true });
    private readonly ConcurrentDictionary<string, TaskCompletionSource<InvocationResponse>> _invocations = new();
    private readonly TaskCompletionSource<IReadOnlyList<FunctionInfo>> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<FunctionInfo> _loaded = [];

    /// <summary>The worker's own HTTP address (capability <c>HttpUri</c> of ASP.NET Core integration).</summary>
    public Uri? HttpUri { get; private set; }

    /// <summary>The loaded functions, once the worker has loaded them all.</summary>
    public Task<IReadOnlyList<FunctionInfo>> Ready => _ready.Task;

    /// <summary>Fails <see cref="Ready"/> (the worker exited before it was ready).</summary>
    public void Fail(Exception e) => _ready.TrySetException(e);

    /// <summary>Invokes a function and waits for the worker's response.</summary>
    public async Task<InvocationResponse> InvokeAsync(FunctionInfo function, string invocationId, IEnumerable<ParameterBinding> inputs,
        IDictionary<string, TypedData> triggerMetadata, CancellationToken cancellationToken)
    {
        var pending = new TaskCompletionSource<InvocationResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        _invocations[invocationId] = pending;
        try
        {
            var request = new InvocationRequest
            {
                InvocationId = invocationId,
                FunctionId = function.Id,
                TraceContext = new RpcTraceContext { TraceParent = System.Diagnostics.Activity.Current?.Id ?? "" },
            };
            request.InputData.AddRange(inputs);
            request.TriggerMetadata.Add(triggerMetadata);
            await _outbound.Writer.WriteAsync(new StreamingMessage { InvocationRequest = request }, cancellationToken);
            return await pending.Task.WaitAsync(cancellationToken);
        }
        finally
        {
            _invocations.TryRemove(invocationId, out _);
        }
    }

    /// <summary>Asks the worker to stop (it exits on its own after the grace period).</summary>
    public void Terminate() =>
        _outbound.Writer.TryWrite(new StreamingMessage { WorkerTerminate = new WorkerTerminate { GracePeriod = new Duration { Seconds = 5 } } });

    public override async Task EventStream(IAsyncStreamReader<StreamingMessage> requestStream, IServerStreamWriter<StreamingMessage> responseStream,
        ServerCallContext context)
    {
        var writer = WriteAllAsync(responseStream, context.CancellationToken);
        var functions = new Dictionary<string, FunctionInfo>();
        try
        {
            await foreach (var message in requestStream.ReadAllAsync(context.CancellationToken))
            {
                LogReceived(logger, message.ContentCase);
                switch (message.ContentCase)
                {
                    case StreamingMessage.ContentOneofCase.StartStream:
                        var directory = configuration["AzureWebJobsScriptRoot"]!;
                        await SendAsync(new StreamingMessage
                        {
                            RequestId = message.RequestId,
                            WorkerInitRequest = new WorkerInitRequest { HostVersion = "4.1040.0", WorkerDirectory = directory, FunctionAppDirectory = directory },
                        });
                        break;
                    case StreamingMessage.ContentOneofCase.WorkerInitResponse:
                        Expect(message.WorkerInitResponse.Result, "worker init");
                        if (message.WorkerInitResponse.Capabilities.TryGetValue("HttpUri", out var httpUri))
                        {
                            HttpUri = new Uri(httpUri);
                        }

                        await SendAsync(new StreamingMessage
                        {
                            FunctionsMetadataRequest = new FunctionsMetadataRequest { FunctionAppDirectory = configuration["AzureWebJobsScriptRoot"]! },
                        });
                        break;
                    case StreamingMessage.ContentOneofCase.FunctionMetadataResponse:
                        Expect(message.FunctionMetadataResponse.Result, "worker indexing");
                        foreach (var metadata in message.FunctionMetadataResponse.FunctionMetadataResults)
                        {
                            try
                            {
                                var function = FunctionInfo.Index(metadata, configuration);
                                functions[function.Id] = function;
                            }
                            catch (InvalidOperationException e)
                            {
                                LogIndexingError(logger, e.Message);
                            }
                        }

                        if (functions.Count == 0)
                        {
                            _ready.TrySetResult(_loaded);
                        }

                        foreach (var function in functions.Values)
                        {
                            await SendAsync(new StreamingMessage { FunctionLoadRequest = function.ToLoadRequest() });
                        }

                        break;
                    case StreamingMessage.ContentOneofCase.FunctionLoadResponse:
                        Expect(message.FunctionLoadResponse.Result, "load of " + message.FunctionLoadResponse.FunctionId);
                        if (functions.TryGetValue(message.FunctionLoadResponse.FunctionId, out var loaded))
                        {
                            LogLoaded(logger, loaded.Name, loaded.Trigger.Type);
                            functions.Remove(loaded.Id);
                            _loaded.Add(loaded);
                            if (functions.Count == 0)
                            {
                                _ready.TrySetResult(_loaded);
                            }
                        }

                        break;
                    case StreamingMessage.ContentOneofCase.InvocationResponse:
                        if (_invocations.TryGetValue(message.InvocationResponse.InvocationId, out var pending))
                        {
                            pending.TrySetResult(message.InvocationResponse);
                        }

                        break;
                    case StreamingMessage.ContentOneofCase.RpcLog:
                        WriteLog(message.RpcLog);
                        break;
                }
            }
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            _ready.TrySetException(e);
            throw;
        }
        finally
        {
            _outbound.Writer.TryComplete();
            foreach (var pending in _invocations.Values)
            {
                pending.TrySetException(new IOException("the worker's stream ended"));
            }
        }

        await writer;
    }

    private ValueTask SendAsync(StreamingMessage message) => _outbound.Writer.WriteAsync(message);

    private async Task WriteAllAsync(IServerStreamWriter<StreamingMessage> stream, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var message in _outbound.Reader.ReadAllAsync(cancellationToken))
            {
                await stream.WriteAsync(message, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static void Expect(StatusResult result, string step)
    {
        if (result.Status != StatusResult.Types.Status.Success)
        {
            throw new InvalidOperationException($"{step} failed: {result.Result} {result.Exception?.Message}");
        }
    }

    private void WriteLog(RpcLog log)
    {
        var level = log.Level switch
        {
            RpcLog.Types.Level.Trace => LogLevel.Trace,
            RpcLog.Types.Level.Debug => LogLevel.Debug,
            RpcLog.Types.Level.Information => LogLevel.Information,
            RpcLog.Types.Level.Warning => LogLevel.Warning,
            RpcLog.Types.Level.Error => LogLevel.Error,
            RpcLog.Types.Level.Critical => LogLevel.Critical,
            _ => LogLevel.None,
        };
        if (level != LogLevel.None)
        {
            LogWorker(logger, level, log.Category, log.Message, log.Exception?.Message ?? "");
        }
    }

    [LoggerMessage(Message = "worker [{Category}] {Message} {Exception}")]
    private static partial void LogWorker(ILogger logger, LogLevel level, string category, string message, string exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Received {Content}")]
    private static partial void LogReceived(ILogger logger, StreamingMessage.ContentOneofCase content);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Message} The function is not loaded.")]
    private static partial void LogIndexingError(ILogger logger, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded {Name} ({Trigger})")]
    private static partial void LogLoaded(ILogger logger, string name, string trigger);
}

/// <summary>Where the stand-in's gRPC server listens (the <c>--functions-uri</c> of the worker).</summary>
public sealed record GrpcEndpoint(Uri Address);
