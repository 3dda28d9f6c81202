/** The movement in numbers: /stats, a Declaration's numbers, their JSON. */
export { declarationStatsRoutes, StatsCharts, statsRoutes, statsView } from "./stats.tsx";
