/**
 * Error metrics against exact attention, computed block by block, and memory accounting (the paper's per-row entry
 * count, the bytes a method stores, and the bytes the JVM allocated).
 */
package org.scatterbrain.core.metrics;
