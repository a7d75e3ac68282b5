using CartCall.Functions;

var builder = WebApplication.CreateSlimBuilder(args);
builder.AddCartCall();

var app = builder.Build();
app.MapCartCall();
app.Run();

/// <summary>The entry point, visible to WebApplicationFactory in tests.</summary>
public partial class Program;
