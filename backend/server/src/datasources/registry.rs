use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
};

use kurobe_connector::{Connector, Schema};
use kurobe_store::DataSourceRecord;
use uuid::Uuid;

use super::{
    DataSourceError, build,
    semantic::{ModelVersion, SemanticLayer},
};
use crate::{crypto::MasterKeys, settings::ConnectorSettings};

/// A connector and the configuration version it was built from.
struct Live {
    version: i64,
    connector: Arc<dyn Connector>,
}

/// The live connectors and introspected schemas of the data sources in use, shared by all
/// requests. A connector is rebuilt when its data source's configuration version changes;
/// a schema when its generation does.
#[derive(Default)]
pub struct DataSources {
    live: Mutex<HashMap<Uuid, Live>>,
    schemas: Mutex<HashMap<Uuid, (i64, Arc<Schema>)>>,
    semantic: Mutex<HashMap<Uuid, (ModelVersion, Arc<SemanticLayer>)>>,
}

impl std::fmt::Debug for DataSources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let live = self.live.lock().map(|l| l.len()).unwrap_or_default();
        f.debug_struct("DataSources").field("live", &live).finish_non_exhaustive()
    }
}

impl DataSources {
    /// The connector for the data source as stored now.
    pub async fn connector(
        &self,
        record: &DataSourceRecord,
        keys: &MasterKeys,
        settings: &ConnectorSettings,
    ) -> Result<Arc<dyn Connector>, DataSourceError> {
        if let Some(live) = self.live.lock().unwrap_or_else(PoisonError::into_inner).get(&record.id)
            && live.version == record.config_version
        {
            return Ok(live.connector.clone());
        }
        let connector = build::connect(record, keys, settings).await?;
        self.live
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(record.id, Live { version: record.config_version, connector: connector.clone() });
        Ok(connector)
    }

    /// Drops what is cached for a data source that changed or is gone.
    pub fn forget(&self, id: Uuid) {
        self.live.lock().unwrap_or_else(PoisonError::into_inner).remove(&id);
        self.schemas.lock().unwrap_or_else(PoisonError::into_inner).remove(&id);
        self.semantic.lock().unwrap_or_else(PoisonError::into_inner).remove(&id);
    }

    /// The semantic layer built for this version of the data source's model.
    pub fn semantic_layer(&self, id: Uuid, version: ModelVersion) -> Option<Arc<SemanticLayer>> {
        let layers = self.semantic.lock().unwrap_or_else(PoisonError::into_inner);
        layers.get(&id).filter(|(v, _)| *v == version).map(|(_, layer)| layer.clone())
    }

    pub fn remember_semantic_layer(&self, id: Uuid, version: ModelVersion, layer: Arc<SemanticLayer>) {
        self.semantic.lock().unwrap_or_else(PoisonError::into_inner).insert(id, (version, layer));
    }

    pub fn schema(&self, id: Uuid, generation: i64) -> Option<Arc<Schema>> {
        let schemas = self.schemas.lock().unwrap_or_else(PoisonError::into_inner);
        schemas.get(&id).filter(|(g, _)| *g == generation).map(|(_, schema)| schema.clone())
    }

    pub fn remember_schema(&self, id: Uuid, generation: i64, schema: Arc<Schema>) {
        self.schemas.lock().unwrap_or_else(PoisonError::into_inner).insert(id, (generation, schema));
    }
}
