/** The dashboard in Chromium against the gateway on the in-memory backend. */
import { dashboardSuite } from "./Suite.ts"

dashboardSuite("memory", { screenshots: false })
