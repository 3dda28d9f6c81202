/** The movement in numbers: /stats, a Declaration's numbers, their JSON. */
export { StatsCharts, statsRoutes, statsView } from "./stats.tsx";
