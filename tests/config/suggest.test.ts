import { expect } from "chai";
import { closest, didYouMean } from "../../config/suggest";

describe("config/suggest", () => {
  const keys = ["id", "name", "region", "bucket", "existingBucket", "roleName", "roleArn", "kmsAlias"];

  it("finds a typo: a missing, a wrong, an extra letter or two swapped letters", () => {
    expect(closest("regin", keys)).to.equal("region");
    expect(closest("bucker", keys)).to.equal("bucket");
    expect(closest("roleNamee", keys)).to.equal("roleName");
    expect(closest("nmae", keys)).to.equal("name");
  });

  it("prefers a case-insensitive match", () => {
    expect(closest("RoleArn", keys)).to.equal("roleArn");
  });

  it("suggests nothing for a word that is not close", () => {
    expect(closest("colour", keys)).to.equal(undefined);
    expect(didYouMean("colour", keys)).to.equal("");
  });

  it("formats the hint", () => {
    expect(didYouMean("kmsAlais", keys)).to.equal("; did you mean `kmsAlias`?");
  });
});
