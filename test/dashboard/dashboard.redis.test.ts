/** The dashboard in Chromium against the gateway on a private redis-server; saves the README's screenshots. */
import { dashboardSuite } from "./Suite.ts"

dashboardSuite("redis", { screenshots: true })
