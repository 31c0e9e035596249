import { expect } from "chai";
import { provisionalCentralOutputs, readCentralOutputs, sourceStackConfig } from "../../automation/driver/stack-config";
import { inventory as makeInventory } from "../support/inventory-fixture";

describe("stack-config", () => {
  it("reads the central outputs sources need, naming what is missing", () => {
    expect(
      readCentralOutputs({
        bucketArn: { value: "arn:aws:s3:::b", secret: false },
        kmsKeyArn: { value: "arn:k", secret: false },
      }),
    ).to.deep.equal({
      ok: true,
      value: { bucketArn: "arn:aws:s3:::b", kmsKeyArn: "arn:k" },
    });
    expect(readCentralOutputs({ bucketArn: { value: "", secret: false } })).to.deep.equal({
      ok: false,
      missing: ["bucketArn", "kmsKeyArn"],
    });
  });

  it("leaves the alarm topic unset when unknown", () => {
    expect(sourceStackConfig("/i.yaml", { bucketArn: "b", kmsKeyArn: "k" })).to.deep.equal({
      "org-s3-backup:inventory": "/i.yaml",
      "org-s3-backup:centralBucketArn": "b",
      "org-s3-backup:centralKmsKeyArn": "k",
    });
  });

  it("derives stand-ins from the inventory in the right partition", () => {
    const { outputs, note } = provisionalCentralOutputs(makeInventory());
    expect(outputs).to.deep.equal({
      bucketArn: "arn:aws:s3:::acme-org-backup-999999999999",
      kmsKeyArn: "arn:aws:kms:eu-west-1:999999999999:alias/org-s3-backup-central",
    });
    const china = provisionalCentralOutputs(makeInventory({ central: { region: "cn-north-1" } })).outputs;
    expect(china.bucketArn).to.equal("arn:aws-cn:s3:::acme-org-backup-999999999999");
    expect(note).to.equal("central stack not deployed: sources previewed with the central KMS key ARN unknown");
  });
});
