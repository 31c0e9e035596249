import { expect } from "chai";
import { bucketNameProblem, expandBucketTemplate, unknownPlaceholders } from "../../config/bucket-name";

describe("config/bucket-name", () => {
  it("accepts valid names, including dots and the 3 and 63 character limits", () => {
    for (const name of ["abc", "a".repeat(63), "acme-data-111111111111", "my.bucket.name", "0-backup-9"]) {
      expect(bucketNameProblem(name), name).to.equal(undefined);
    }
  });

  const refused: [string, string][] = [
    ["a".repeat(64), "must be 3 to 63 characters long (it has 64)"],
    ["my_bucket", "may contain only lowercase letters, digits, hyphens and dots"],
    ["-backup", "must begin and end with a lowercase letter or a digit"],
    ["backup.", "must begin and end with a lowercase letter or a digit"],
    ["10.0.0.1", "must not look like an IP address"],
    ["sthree-backup", "must not begin with `sthree-` (reserved by AWS)"],
    ["amzn-s3-demo-backup", "must not begin with `amzn-s3-demo-` (reserved by AWS)"],
    ["backup--ol-s3", "must not end with `--ol-s3` (reserved by AWS)"],
    ["backup.mrap", "must not end with `.mrap` (reserved by AWS)"],
    ["backup--x-s3", "must not end with `--x-s3` (reserved by AWS)"],
    ["backup--table-s3", "must not end with `--table-s3` (reserved by AWS)"],
  ];
  for (const [name, problem] of refused) {
    it(`refuses ${name.length > 20 ? `${name.slice(0, 10)}… (${name.length} characters)` : name}`, () => {
      expect(bucketNameProblem(name)).to.equal(problem);
    });
  }

  it("expands the placeholders, every occurrence", () => {
    expect(
      expandBucketTemplate("{name}-{accountId}-{region}-{accountId}", {
        accountId: "111111111111",
        name: "app",
        region: "eu-west-1",
      }),
    ).to.equal("app-111111111111-eu-west-1-111111111111");
  });

  it("lists the placeholders that are not ours", () => {
    expect(unknownPlaceholders("acme-{accountid}-{name}-{}")).to.deep.equal(["accountid", ""]);
  });
});
