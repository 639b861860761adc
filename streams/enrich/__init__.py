"""Pure enrichment: spaCy docs in, entities, quotes and stances out. No Kafka, no Faust."""
