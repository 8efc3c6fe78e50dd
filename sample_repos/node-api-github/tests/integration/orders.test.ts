import { PrismaClient } from "@prisma/client";
import { afterAll, expect, it } from "vitest";

const prisma = new PrismaClient();
afterAll(() => prisma.$disconnect());

it("stores an order", async () => {
  const order = await prisma.order.create({ data: { reference: `it-${Date.now()}`, total: 600 } });
  expect(order.id).toBeGreaterThan(0);
});
