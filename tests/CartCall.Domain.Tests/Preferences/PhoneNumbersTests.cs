using CartCall.Domain.Preferences;
using DomainPhones = CartCall.Domain.Preferences.PhoneNumbers;
using Lib = global::PhoneNumbers;

namespace CartCall.Domain.Tests.Preferences;

public class PhoneNumbersTests
{
    private static readonly Lib.PhoneNumberUtil Util = Lib.PhoneNumberUtil.GetInstance();

    [Fact]
    public void Check_PremiumRateNumber_IsRefused()
    {
        // UK 09xx numbers are premium rate; the library itself must agree before we rely on it.
        Assert.Equal(Lib.PhoneNumberType.PREMIUM_RATE, Util.GetNumberType(Util.Parse("+44 909 8790000", null)));

        var check = DomainPhones.Check("+44 909 8790000", null);

        Assert.False(check.Ok);
        Assert.Equal("PREMIUM_RATE", check.NumberType);
        Assert.Equal("+449098790000", check.E164);
        Assert.Equal("GB", check.RegionCode);
        Assert.Contains("premium-rate", check.Problem, StringComparison.Ordinal);
    }

    private static readonly string[] Refused =
    [
        nameof(Lib.PhoneNumberType.PREMIUM_RATE), nameof(Lib.PhoneNumberType.SHARED_COST), nameof(Lib.PhoneNumberType.UAN),
        nameof(Lib.PhoneNumberType.VOICEMAIL), nameof(Lib.PhoneNumberType.PAGER), nameof(Lib.PhoneNumberType.PERSONAL_NUMBER),
    ];

    public static TheoryData<string> RefusedTypes() => [.. Refused];

    [Theory]
    [MemberData(nameof(RefusedTypes))]
    public void Check_LibraryExampleOfRefusedType_IsRefusedWithProblem(string typeName)
    {
        var type = Enum.Parse<Lib.PhoneNumberType>(typeName);
        var example = Util.GetSupportedRegions().Order(StringComparer.Ordinal)
            .Select(region => Util.GetExampleNumberForType(region, type))
            .First(n => n is not null && Util.GetNumberType(n) == type);
        var e164 = Util.Format(example, Lib.PhoneNumberFormat.E164);

        var check = DomainPhones.Check(e164, null);

        Assert.False(check.Ok);
        Assert.Equal(typeName, check.NumberType);
        Assert.False(string.IsNullOrWhiteSpace(check.Problem));
    }

    [Theory]
    [InlineData("07400 123456", "GB", "+447400123456", "MOBILE")]
    [InlineData("+44 20 7183 8750", null, "+442071838750", "FIXED_LINE")]
    [InlineData("030 123456", "de", "+4930123456", "FIXED_LINE")]
    public void Check_OrdinaryNumber_IsAcceptedInE164(string raw, string? region, string e164, string type)
    {
        var check = DomainPhones.Check(raw, region);
        Assert.True(check.Ok, check.Problem);
        Assert.Equal(e164, check.E164);
        Assert.Equal(type, check.NumberType);
        Assert.Null(check.Problem);
    }

    [Theory]
    [InlineData("07400 123456", null)]   // national format without a region
    [InlineData("not a number", "GB")]
    [InlineData("", "GB")]
    [InlineData("+44 1234", null)]       // too short to be valid
    [InlineData("+999 123456789", null)] // no such country code
    public void Check_UnusableInput_IsRefusedWithProblem(string raw, string? region)
    {
        var check = DomainPhones.Check(raw, region);
        Assert.False(check.Ok);
        Assert.False(string.IsNullOrWhiteSpace(check.Problem));
    }

    [Fact]
    public void RefusedTypes_ListsTheSixTypesWeNeverDial()
    {
        Assert.Equal(Refused.Order(), DomainPhones.RefusedTypes.Order());
    }
}
