import { expect } from "chai";
import { planStacks } from "../../automation/driver/plan";
import { accountIdOfStack, CENTRAL_STACK, sourceStackName } from "../../infra/contract";
import { inventory, sourceAccount } from "../support/inventory-fixture";

describe("automation/plan", () => {
  it("plans central first, then each enabled source in file order, each depending on central", () => {
    const plans = planStacks(
      inventory({
        sources: [
          sourceAccount("333333333333", { region: "us-east-1" }),
          sourceAccount("111111111111", { enabled: false }),
          sourceAccount("222222222222", { roleArn: "arn:aws:iam::222222222222:role/platform/Deployer" }),
        ],
      }),
    );
    expect(plans).to.deep.equal([
      {
        name: "central",
        kind: "central",
        accountId: "999999999999",
        accountName: "backup-central",
        region: "eu-west-1",
        roleArn: "arn:aws:iam::999999999999:role/OrganizationAccountAccessRole",
        dependsOn: [],
      },
      {
        name: "account-333333333333",
        kind: "source",
        accountId: "333333333333",
        accountName: "app-333",
        region: "us-east-1",
        roleArn: "arn:aws:iam::333333333333:role/OrganizationAccountAccessRole",
        dependsOn: ["central"],
      },
      {
        name: "account-222222222222",
        kind: "source",
        accountId: "222222222222",
        accountName: "app-222",
        region: "eu-west-1",
        roleArn: "arn:aws:iam::222222222222:role/platform/Deployer",
        dependsOn: ["central"],
      },
    ]);
  });

  it("plans only the central stack when every source is disabled", () => {
    const plans = planStacks(inventory({ sources: [sourceAccount("111111111111", { enabled: false })] }));
    expect(plans.map((plan) => plan.name)).to.deep.equal([CENTRAL_STACK]);
  });

  it("keeps file order for thousands of accounts", () => {
    const plans = planStacks(inventory({ count: 2000 }));
    expect(plans).to.have.length(2001);
    expect(plans[1].name).to.equal("account-111111111111");
    expect(plans[2000].name).to.equal("account-100000001999");
  });

  it("derives stack names from account ids and back", () => {
    expect(sourceStackName("012345678901")).to.equal("account-012345678901");
    expect(accountIdOfStack("account-012345678901")).to.equal("012345678901");
    expect(accountIdOfStack("central")).to.equal(undefined);
    expect(accountIdOfStack("account-12345")).to.equal(undefined);
    expect(accountIdOfStack("account-0123456789012")).to.equal(undefined);
  });
});
