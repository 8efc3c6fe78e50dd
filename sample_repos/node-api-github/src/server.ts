import express from "express";
import pino from "pino";
import { PrismaClient } from "@prisma/client";

const log = pino({ level: process.env.LOG_LEVEL ?? "info" });
const prisma = new PrismaClient();
const app = express();

app.get("/healthz", async (_req, res) => {
  await prisma.$queryRaw`SELECT 1`;
  res.json({ status: "ok" });
});

app.get("/orders/:reference", async (req, res) => {
  const order = await prisma.order.findUnique({ where: { reference: req.params.reference } });
  if (!order) {
    res.status(404).end();
    return;
  }
  res.json(order);
});

const port = Number(process.env.PORT ?? 3000);
app.listen(port, () => log.info({ port }, "listening"));
